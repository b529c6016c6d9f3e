/**
 * What this node's queue has done: counters, throughput over the last minute, and latency
 * percentiles over the most recent samples (a bounded window, so memory stays flat).
 */
const WINDOW = 2_000;
const THROUGHPUT_WINDOW_MS = 60_000;

export interface LatencySummary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

class Samples {
  private readonly values: number[] = [];
  private next = 0;

  add(value: number): void {
    if (this.values.length < WINDOW) this.values.push(value);
    else this.values[this.next] = value;
    this.next = (this.next + 1) % WINDOW;
  }

  summary(): LatencySummary {
    const sorted = [...this.values].sort((a, b) => a - b);
    const at = (q: number) =>
      sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null;
    return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }
}

export class QueueMetrics {
  started = 0;
  completed = 0;
  failed = 0;
  retried = 0;
  timedOut = 0;
  cancelled = 0;
  reaped = 0;
  private readonly enqueueToStart = new Samples();
  private readonly startToFinish = new Samples();
  private readonly finishedAt: number[] = [];
  private busyMs = 0;
  private readonly since = Date.now();

  recordStart(enqueueToStartMs: number): void {
    this.started += 1;
    this.enqueueToStart.add(Math.max(0, enqueueToStartMs));
  }

  recordFinish(durationMs: number): void {
    this.startToFinish.add(durationMs);
    this.busyMs += durationMs;
    const now = Date.now();
    this.finishedAt.push(now);
    while (this.finishedAt.length && this.finishedAt[0] < now - THROUGHPUT_WINDOW_MS) this.finishedAt.shift();
  }

  snapshot(running: number, capacity: number) {
    const now = Date.now();
    const windowMs = Math.min(THROUGHPUT_WINDOW_MS, now - this.since) || 1;
    const recent = this.finishedAt.filter((t) => t >= now - THROUGHPUT_WINDOW_MS).length;
    return {
      started: this.started,
      completed: this.completed,
      failed: this.failed,
      retried: this.retried,
      timedOut: this.timedOut,
      cancelled: this.cancelled,
      reaped: this.reaped,
      running,
      capacity,
      /** Tasks finished per second over the last minute. */
      throughputPerSecond: Math.round((recent / windowMs) * 1000 * 100) / 100,
      latencyMs: {
        enqueueToStart: this.enqueueToStart.summary(),
        startToFinish: this.startToFinish.summary(),
      },
      utilisation: {
        /** Share of slots busy right now. */
        current: capacity ? running / capacity : 0,
        /** Share of slot-time spent running tasks since the node started. */
        average: capacity ? Math.min(1, this.busyMs / ((now - this.since) * capacity)) : 0,
      },
    };
  }
}

export type QueueMetricsSnapshot = ReturnType<QueueMetrics['snapshot']>;
