/**
 * Metrics for `GET /metrics` (Prometheus text). HTTP traffic is measured here with prom-client;
 * every other component (queue, cache, events, security…) registers a source whose numbers are
 * read at scrape time, so nothing is counted twice and no component depends on Prometheus.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Any object whose numeric leaves are metrics (nested objects allowed). */
export type MetricSource = () => object | Promise<object>;

const NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export class MetricsRegistry {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  private readonly sources = new Map<string, MetricSource>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'bsm_' });
    this.httpRequests = new Counter({
      name: 'bsm_http_requests_total',
      help: 'HTTP requests by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'bsm_http_request_duration_seconds',
      help: 'HTTP request duration by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
  }

  /** `name` becomes the metric prefix: `bsm_<name>_<path>`. */
  register(name: string, source: MetricSource): void {
    if (!NAME_RE.test(name)) throw new Error(`Invalid metric source name ${name}`);
    this.sources.set(name, source);
  }

  /** Every source's numbers as one JSON object (for `GET /api/engine/metrics`-style views). */
  async snapshot(): Promise<Record<string, object>> {
    const out: Record<string, object> = {};
    for (const [name, source] of this.sources) {
      try {
        out[name] = await source();
      } catch (err) {
        out[name] = { error: String((err as Error).message) };
      }
    }
    return out;
  }

  async prometheus(): Promise<string> {
    const lines: string[] = [];
    for (const [name, tree] of Object.entries(await this.snapshot())) flatten(`bsm_${name}`, tree, lines);
    return `${await this.registry.metrics()}\n${lines.join('\n')}\n`;
  }
}

/**
 * Numeric leaves become gauges named by their path; keys that are not valid metric-name parts
 * (e.g. event types `task:completed`) become a `key` label of their parent instead.
 */
function flatten(prefix: string, value: unknown, lines: string[], label?: string): void {
  if (typeof value === 'number' || typeof value === 'boolean') {
    const n = Number(value);
    if (!Number.isFinite(n)) return;
    lines.push(`${prefix}${label ? `{key="${label.replace(/["\\\n]/g, '_')}"}` : ''} ${n}`);
    return;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (NAME_RE.test(key) && !label) flatten(`${prefix}_${key}`, child, lines);
    else flatten(prefix, child, lines, label ? `${label}.${key}` : key);
  }
}
