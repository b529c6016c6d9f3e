import type { MetricsRegistry } from '../metrics.js';
import type { AgentManager } from './agentManager.js';
import type { EventBus } from './eventBus.js';

/** The event bus's and the agent registry's series in `/metrics` (see src/metrics.ts). */
export function registerCoreMetrics(m: MetricsRegistry, events: EventBus, agents: AgentManager): void {
  m.counterFrom(
    'bsm_events_total',
    'Events delivered on this node, by type',
    () => events.metrics().counts,
    'type',
  );
  m.gauge({
    name: 'bsm_events_listeners',
    help: 'Listeners subscribed to the event bus on this node (SSE streams, waiters, followers)',
    collect() {
      this.set(events.metrics().listeners);
    },
  });
  m.gauge({
    name: 'bsm_agents',
    help: 'Registered agents by status (a small table: counted exactly)',
    labelNames: ['status'],
    async collect() {
      const { byStatus } = await agents.metrics();
      this.reset();
      for (const status of ['active', 'inactive', 'archived']) this.set({ status }, byStatus[status] ?? 0);
    },
  });
}
