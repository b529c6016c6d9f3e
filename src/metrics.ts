/**
 * The one Prometheus registry of a process (`GET /metrics`), by the book (SPEC §14): every series
 * is a prom-client metric with HELP and TYPE, names are `bsm_` + snake_case, counters end in
 * `_total`, durations are `_seconds` histograms. Nothing here formats text by hand.
 *
 * The pattern for a component (queue, cache, events, security, audit…): a `registerXMetrics`
 * function in the component's folder creates its metrics through `counter`/`gauge`/`histogram`
 * below and is called once from system.ts. Values the component already keeps are read at scrape
 * time by a `collect` callback (`counterFrom`, or a gauge's `collect`); durations are observed
 * into a histogram as they happen. A scrape never counts table rows (SPEC §15: the same cost at
 * 10 rows and 10 million) — use a bounded count or a planner estimate (repositories/taskCounts.ts).
 */
import {
  Counter,
  type CounterConfiguration,
  collectDefaultMetrics,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  Registry,
} from 'prom-client';

const NAME_RE = /^bsm_[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

/** Seconds, from 1 ms to 60 s: HTTP requests, queue waits, model and tool calls. */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

type Config<C> = Omit<C, 'registers'>;

export class MetricsRegistry {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'bsm_' });
    // prom-client names three gauges `…_total`, which promtool rejects: one gauge by type instead.
    for (const name of ['active_handles', 'active_requests', 'active_resources']) {
      this.registry.removeSingleMetric(`bsm_nodejs_${name}`);
      this.registry.removeSingleMetric(`bsm_nodejs_${name}_total`);
    }
    this.gauge({
      name: 'bsm_nodejs_active_resources',
      help: 'Resources keeping the event loop alive (sockets, timers…), by type',
      labelNames: ['type'],
      collect() {
        this.reset();
        const byType = new Map<string, number>();
        for (const type of process.getActiveResourcesInfo()) byType.set(type, (byType.get(type) ?? 0) + 1);
        for (const [type, n] of byType) this.set({ type }, n);
      },
    });
    this.httpRequests = this.counter({
      name: 'bsm_http_requests_total',
      help: 'HTTP requests by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
    });
    this.httpDuration = this.histogram({
      name: 'bsm_http_request_duration_seconds',
      help: 'HTTP request duration by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: DURATION_BUCKETS,
    });
  }

  counter<L extends string = string>(config: Config<CounterConfiguration<L>>): Counter<L> {
    checkName(config.name, 'counter');
    return new Counter({ ...config, registers: [this.registry] });
  }

  gauge<L extends string = string>(config: Config<GaugeConfiguration<L>>): Gauge<L> {
    checkName(config.name, 'gauge');
    return new Gauge({ ...config, registers: [this.registry] });
  }

  histogram<L extends string = string>(config: Config<HistogramConfiguration<L>>): Histogram<L> {
    checkName(config.name, 'histogram');
    return new Histogram({ ...config, registers: [this.registry] });
  }

  /** Adds a metric a component built itself (e.g. a histogram it observes into). */
  add(metric: Counter | Gauge | Histogram): void {
    const name = (metric as unknown as { name: string }).name;
    checkName(name, metric instanceof Counter ? 'counter' : metric instanceof Gauge ? 'gauge' : 'histogram');
    this.registry.registerMetric(metric);
  }

  /**
   * A counter whose value is a running total the component keeps anyway (read at scrape time,
   * so the component needs no Prometheus at all). With `label`, `read` answers one total per
   * label value (e.g. events by type).
   */
  counterFrom(name: string, help: string, read: () => number): Counter;
  counterFrom(name: string, help: string, read: () => Record<string, number>, label: string): Counter;
  counterFrom(
    name: string,
    help: string,
    read: () => number | Record<string, number>,
    label?: string,
  ): Counter {
    return this.counter({
      name,
      help,
      labelNames: label ? [label] : [],
      collect() {
        this.reset();
        const value = read();
        if (typeof value === 'number') this.inc(value);
        else for (const [key, n] of Object.entries(value)) this.inc({ [label as string]: key }, n);
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  prometheus(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Refuses names promtool would flag, at start-up rather than on a scrape. */
function checkName(name: string, type: 'counter' | 'gauge' | 'histogram'): void {
  if (!NAME_RE.test(name)) throw new Error(`Metric ${name}: use bsm_ plus snake_case`);
  if ((type === 'counter') !== name.endsWith('_total')) {
    throw new Error(`Metric ${name}: counters, and only counters, end in _total`);
  }
  if (/_(ms|millis|milliseconds)(_|$)/.test(name))
    throw new Error(`Metric ${name}: durations are in seconds`);
}
