/**
 * Groups completions into one statement ("natural batching"): while fewer than MAX_IN_FLIGHT
 * flushes are in flight a completion is written at once (no added latency on an idle node);
 * completions that arrive meanwhile wait and go together in the next. Under load batches form by themselves.
 * Each flush also claims new tasks for the slots the batch frees (see `completeTasks`).
 */
import type { Db } from '../../db/index.js';
import type { TaskRow } from '../../repositories/tasks.js';
import type { ClaimRequest } from './sql/claimTasks.js';
import { type Completion, completeTasks } from './sql/completeTasks.js';

const MAX_BATCH = 200;
/**
 * Statements in flight at once. One at a time serialises the whole node behind one round trip
 * (with 10 slots a batch can never exceed 10 tasks); a few overlap round trips the way
 * graphile-worker's independent workers do. 3 was the best of 1–4 in the queue benchmark.
 */
const MAX_IN_FLIGHT = 3;

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
