/**
 * Groups completions into one statement ("natural batching"): while no flush is in flight a
 * completion is written at once (no added latency on an idle node);
 * completions that arrive meanwhile wait and go together in the next. Under load batches form by themselves.
 * Each flush also claims new tasks for the slots the batch frees (see `completeTasks`).
 */
import type { Db } from '../../db/index.js';
import type { TaskRow } from '../../repositories/tasks.js';
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

interface Waiting {
  completion: Completion;
  resolve: (row: TaskRow | undefined) => void;
  reject: (error: unknown) => void;
}

export interface ClaimHooks {
  /** How many tasks to claim along with a batch of `finishing` completions (reserves the slots). */
  plan(finishing: number): ClaimRequest;
  /** Hands over what was claimed; `reserved` is what `plan` reserved, to give back. */
  claimed(rows: TaskRow[], reserved: number): void;
}

export class CompletionBatcher {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;

  constructor(
    private readonly db: Db,
    private readonly owner: string,
    private readonly hooks: ClaimHooks,
  ) {}

  /** Resolves with the completed row, or undefined when the lease was no longer ours. */
  complete(completion: Completion): Promise<TaskRow | undefined> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ completion, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.waiting.length > 0) {
      this.inFlight += 1;
      void this.flush().finally(() => {
        this.inFlight -= 1;
        this.kick();
      });
    }
  }

  private async flush(): Promise<void> {
    const batch = this.waiting.splice(0, MAX_BATCH);
    const claim = this.hooks.plan(batch.length);
    let claimed: TaskRow[] = [];
    try {
      const result = await completeTasks(
        this.db,
        this.owner,
        batch.map((w) => w.completion),
        claim,
      );
      claimed = result.claimed;
      const byId = new Map(result.completed.map((r) => [r.id, r]));
      for (const w of batch) w.resolve(byId.get(w.completion.id));
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      this.hooks.claimed(claimed, claim.limit);
    }
  }
}
