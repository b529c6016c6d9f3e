/**
 * Groups completions into one statement ("natural batching"): when no flush is in flight a
 * completion is written at once (no added latency on an idle node); completions that arrive while
 * one is in flight wait for it and go together in the next. Under load batches form by themselves.
 */
import type { Db } from '../../db/index.js';
import type { TaskRow } from '../../repositories/tasks.js';
import { type Completion, completeTasks } from './sql/completeTasks.js';

const MAX_BATCH = 200;

interface Waiting {
  completion: Completion;
  resolve: (row: TaskRow | undefined) => void;
  reject: (error: unknown) => void;
}

export class CompletionBatcher {
  private readonly waiting: Waiting[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly owner: string,
  ) {}

  /** Resolves with the completed row, or undefined when the lease was no longer ours. */
  complete(completion: Completion): Promise<TaskRow | undefined> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ completion, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing || this.waiting.length === 0) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = undefined;
      this.kick();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting.splice(0, MAX_BATCH);
    try {
      const rows = await completeTasks(
        this.db,
        this.owner,
        batch.map((w) => w.completion),
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const w of batch) w.resolve(byId.get(w.completion.id));
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
