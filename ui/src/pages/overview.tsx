import { useEffect, useState } from 'preact/hooks';
import { get } from '../api';
import { formatNumber, LineChart, PageHeader, Section } from '../components';
import { subscribe } from '../live';

interface QueueMetrics {
  counts: Record<string, number>;
  node: {
    running: number;
    capacity: number;
    completed: number;
    failed: number;
    throughputPerSecond: number;
    latencyMs: { enqueueToStart: Summary; startToFinish: Summary };
    utilisation: { current: number; average: number };
  };
}
interface Summary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}
interface Metrics {
  taskQueue?: QueueMetrics;
  agentManager?: { total: number; active: number };
}
interface Status {
  state: string;
  nodeId: string;
  uptimeSeconds: number;
  components: Array<{ name: string; [k: string]: unknown }>;
}

const SAMPLES = 60;
const POLL_MS = 5_000;

/** Queue depth, throughput and latency over the last few minutes, sampled live. */
export function OverviewPage() {
  const [metrics, setMetrics] = useState<Metrics>();
  const [status, setStatus] = useState<Status>();
  const [history, setHistory] = useState<{ depth: number[]; throughput: number[]; latency: number[] }>({
    depth: [],
    throughput: [],
    latency: [],
  });

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const sample = async () => {
      clearTimeout(timer);
      try {
        const [m, s] = await Promise.all([
          get<Metrics>('/api/engine/metrics'),
          get<Status>('/api/engine/status'),
        ]);
        if (stopped) return;
        setMetrics(m);
        setStatus(s);
        const q = m.taskQueue;
        if (q) {
          const push = (list: number[], v: number) => [...list, v].slice(-SAMPLES);
          setHistory((h) => ({
            depth: push(h.depth, (q.counts.pending ?? 0) + (q.counts.running ?? 0)),
            throughput: push(h.throughput, q.node.throughputPerSecond),
            latency: push(h.latency, q.node.latencyMs.startToFinish.p50 ?? 0),
          }));
        }
      } catch {
        // A failed sample leaves a gap; the next one tries again.
      }
      if (!stopped) timer = setTimeout(sample, POLL_MS);
    };
    sample();
    // Task events move the numbers: sample soon after them rather than waiting for the poll.
    let soon: ReturnType<typeof setTimeout> | undefined;
    const off = subscribe((e) => {
      if (!e.type.startsWith('task:') || soon) return;
      soon = setTimeout(() => {
        soon = undefined;
        sample();
      }, 500);
    });
    return () => {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(soon);
      off();
    };
  }, []);

  const q = metrics?.taskQueue;
  return (
    <>
      <PageHeader title="Overview" />
      <div class="stats" aria-live="polite">
        {(['pending', 'running', 'completed', 'failed', 'cancelled'] as const).map((s) => (
          <div class="stat" key={s}>
            <span class="stat-label">{s}</span>
            <span class="stat-value" data-testid={`count-${s}`}>
              {formatNumber(q?.counts[s])}
            </span>
          </div>
        ))}
        <div class="stat">
          <span class="stat-label">active agents</span>
          <span class="stat-value">{formatNumber(metrics?.agentManager?.active)}</span>
        </div>
      </div>
      <div class="charts">
        <LineChart title="Queue depth (pending + running)" points={history.depth} />
        <LineChart title="Throughput" unit="tasks/s" points={history.throughput} />
        <LineChart title="Run time p50" unit="ms" points={history.latency} />
      </div>
      <Section title="This node">
        {status && q ? (
          <dl class="facts">
            <dt>Node</dt>
            <dd>{status.nodeId}</dd>
            <dt>State</dt>
            <dd>{status.state}</dd>
            <dt>Uptime</dt>
            <dd>{status.uptimeSeconds} s</dd>
            <dt>Worker slots</dt>
            <dd>
              {q.node.running} busy of {q.node.capacity} ({Math.round(q.node.utilisation.current * 100)}%)
            </dd>
            <dt>Wait before start p95</dt>
            <dd>{formatNumber(q.node.latencyMs.enqueueToStart.p95)} ms</dd>
            <dt>Run time p95</dt>
            <dd>{formatNumber(q.node.latencyMs.startToFinish.p95)} ms</dd>
            <dt>Components</dt>
            <dd>{status.components.map((c) => c.name).join(', ')}</dd>
          </dl>
        ) : (
          <p class="muted">Loading…</p>
        )}
      </Section>
    </>
  );
}
