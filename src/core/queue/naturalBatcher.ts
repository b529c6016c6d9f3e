/**
 * "Natural batching": while fewer than `maxInFlight` statements run, an item is written at once (no
 * added latency on an idle node); items that arrive meanwhile wait and go together in the next.
 * Under load batches form by themselves, so a burst costs one round trip and one commit per batch
 * instead of per item. The queue's completions and its submits both write this way.
 */
export interface BatchOptions<T, R> {
  maxInFlight: number;
  maxBatch: number;
  /** Writes a batch; answers one result per item, in order (or throws for all of them). */
  write(items: T[]): Promise<R[]>;
}

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class NaturalBatcher<T, R> {
  private readonly waiting: Array<Waiting<T, R>> = [];
  private inFlight = 0;

  constructor(private readonly options: BatchOptions<T, R>) {}

  push(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      this.inFlight += 1;
      void this.flush().finally(() => {
        this.inFlight -= 1;
        this.kick();
      });
    }
  }

  private async flush(): Promise<void> {
    const batch = this.waiting.splice(0, this.options.maxBatch);
    try {
      const results = await this.options.write(batch.map((w) => w.item));
      for (const [i, w] of batch.entries()) w.resolve(results[i]);
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
