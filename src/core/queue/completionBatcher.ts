/**
 * Groups completions into one statement (`NaturalBatcher`); each flush also claims new tasks for
 * the slots the batch frees (see `completeTasks`).
 */
import type { Db } from '../../db/index.js';
import type { TaskRow } from '../../repositories/tasks.js';
import { NaturalBatcher } from './naturalBatcher.js';
import type { ClaimRequest } from './sql/claimTasks.js';
import { type Completion, completeTasks } from './sql/completeTasks.js';

const MAX_BATCH = 200;
/**
 * Statements in flight at once. One: everything that finishes while it runs goes in the next, so
 * batches grow with the load and the database does the least work per task. Measured in the queue
 * benchmark as a separate `bsm worker` on 2 cores (PostgreSQL the limit): 1 in flight drained
 * 1,742–1,858 tasks/s, 2 → 1,680–1,729, 3 → 1,554–1,662 (docs/BENCHMARKS.md); before the claim and
 * event-log work PostgreSQL had idle time and 3 did best.
 */
const MAX_IN_FLIGHT = 1;

export interface ClaimHooks {
  /** How many tasks to claim along with a batch of `finishing` completions (reserves the slots). */
  plan(finishing: number): ClaimRequest;
  /** Hands over what was claimed; `reserved` is what `plan` reserved, to give back. */
  claimed(rows: TaskRow[], reserved: number): void;
}

export class CompletionBatcher {
  private readonly batcher: NaturalBatcher<Completion, TaskRow | undefined>;

  constructor(db: Db, owner: string, hooks: ClaimHooks) {
    this.batcher = new NaturalBatcher({
      maxInFlight: MAX_IN_FLIGHT,
      maxBatch: MAX_BATCH,
      write: async (batch) => {
        const claim = hooks.plan(batch.length);
        let claimed: TaskRow[] = [];
        try {
          const result = await completeTasks(db, owner, batch, claim);
          claimed = result.claimed;
          const byId = new Map(result.completed.map((r) => [r.id, r]));
          return batch.map((c) => byId.get(c.id));
        } finally {
          hooks.claimed(claimed, claim.limit);
        }
      },
    });
  }

  /** Resolves with the completed row, or undefined when the lease was no longer ours. */
  complete(completion: Completion): Promise<TaskRow | undefined> {
    return this.batcher.push(completion);
  }
}
