/**
 * Groups completions into one statement (`NaturalBatcher`): one round trip and one commit for
 * every task that finished while the previous statement ran.
 */
import type { Db } from '../../db/index.js';
import { NaturalBatcher } from './naturalBatcher.js';
import { type CompletedRow, type Completion, completeTasks } from './sql/completeTasks.js';

const MAX_BATCH = 200;
/**
 * Statements in flight at once. One: everything that finishes while it runs goes in the next, so
 * batches grow with the load and the database does the least work per task. Measured in the queue
 * benchmark as a separate `bsm worker` on 2 cores: 1 in flight drained 1,742–1,858 tasks/s, 2 →
 * 1,680–1,729, 3 → 1,554–1,662; and again, once slots were freed before the completion commits,
 * 1 → 2,508–2,649 against 2 → 2,407–2,432 (docs/BENCHMARKS.md).
 */
const MAX_IN_FLIGHT = 1;

export class CompletionBatcher {
  private readonly batcher: NaturalBatcher<Completion, CompletedRow | undefined>;

  constructor(db: Db, owner: string) {
    this.batcher = new NaturalBatcher({
      maxInFlight: MAX_IN_FLIGHT,
      maxBatch: MAX_BATCH,
      write: async (batch) => {
        const byId = new Map((await completeTasks(db, owner, batch)).map((r) => [r.id, r]));
        return batch.map((c) => byId.get(c.id));
      },
    });
  }

  /** Resolves with the completed row, or undefined when the lease was no longer ours. */
  complete(completion: Completion): Promise<CompletedRow | undefined> {
    return this.batcher.push(completion);
  }
}
