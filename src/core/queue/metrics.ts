/**
 * What this node's queue has done: counters, throughput over the last minute, and latency
 * percentiles over the most recent samples (a bounded window, so memory stays flat) for the JSON
 * view (`/api/engine/metrics`); the same latencies go into Prometheus histograms for `/metrics`.
 */
import { Histogram } from 'prom-client';
import type { Queryable } from '../../db/index.js';
import { DURATION_BUCKETS, type MetricsRegistry } from '../../metrics.js';
import { countTasksByStatus } from '../../repositories/taskCounts.js';

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
  /** Registered in `/metrics` by `registerQueueMetrics`; observed whether or not it is. */
  readonly enqueueToStartSeconds = new Histogram({
    name: 'bsm_queue_enqueue_to_start_seconds',
    help: 'Time from when a task could run (created or its back-off ended) to when this node started it',
    buckets: DURATION_BUCKETS,
    registers: [],
  });
  readonly runSeconds = new Histogram({
    name: 'bsm_queue_task_run_duration_seconds',
    help: 'Time an attempt ran on this node, from start to its outcome',
    buckets: DURATION_BUCKETS,
    registers: [],
  });
  private readonly finishedAt: number[] = [];
  private busyMs = 0;
  private readonly since = Date.now();

  recordStart(enqueueToStartMs: number): void {
    this.started += 1;
    this.enqueueToStart.add(Math.max(0, enqueueToStartMs));
    this.enqueueToStartSeconds.observe(Math.max(0, enqueueToStartMs) / 1000);
  }

  recordFinish(durationMs: number): void {
    this.startToFinish.add(durationMs);
    this.runSeconds.observe(durationMs / 1000);
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

/** The queue's series in `/metrics`: this node's counters and latencies, the cluster's depths. */
export function registerQueueMetrics(
  m: MetricsRegistry,
  queue: { metrics: QueueMetrics; runningCount: number; options: { maxConcurrent: number } },
  db: Queryable,
): void {
  const q = queue.metrics;
  const counters: Array<[keyof QueueMetrics & string, string, string]> = [
    ['started', 'bsm_queue_tasks_started_total', 'Attempts this node started'],
    ['completed', 'bsm_queue_tasks_completed_total', 'Tasks this node completed'],
    ['failed', 'bsm_queue_tasks_failed_total', 'Tasks that failed for good on this node (no attempts left)'],
    ['retried', 'bsm_queue_tasks_retried_total', 'Failed attempts on this node that were scheduled to retry'],
    ['timedOut', 'bsm_queue_tasks_timed_out_total', 'Attempts on this node stopped by the task timeout'],
    ['cancelled', 'bsm_queue_tasks_cancelled_total', 'Tasks cancelled through this node'],
    ['reaped', 'bsm_queue_leases_reaped_total', 'Expired leases (of any node) this node took back'],
  ];
  for (const [field, name, help] of counters) m.counterFrom(name, help, () => q[field] as number);
  m.add(q.enqueueToStartSeconds);
  m.add(q.runSeconds);
  m.gauge({
    name: 'bsm_queue_running_tasks',
    help: 'Tasks running on this node now',
    collect() {
      this.set(queue.runningCount);
    },
  });
  m.gauge({
    name: 'bsm_queue_capacity_tasks',
    help: 'Tasks this node runs at once at most (BSM_MAX_CONCURRENT_TASKS)',
    collect() {
      this.set(queue.options.maxConcurrent);
    },
  });
  m.gauge({
    name: 'bsm_queue_tasks',
    help: 'Tasks in the cluster by status: exact up to 10000 per status, a planner estimate beyond',
    labelNames: ['status'],
    async collect() {
      for (const [status, n] of Object.entries(await countTasksByStatus(db))) this.set({ status }, n);
    },
  });
}
