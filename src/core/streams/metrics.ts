import type { MetricsRegistry } from '../../metrics.js';
import type { EventLog } from './eventLog.js';

/** The event log's series: what it appended, in how many batched writes, and who follows it. */
export function registerEventLogMetrics(m: MetricsRegistry, eventLog: EventLog): void {
  m.counterFrom(
    'bsm_event_log_appended_total',
    'Events written to the resumable event log',
    () => eventLog.metrics().appended,
  );
  m.counterFrom(
    'bsm_event_log_batches_total',
    'Batched writes to the event log',
    () => eventLog.metrics().batches,
  );
  m.gauge({
    name: 'bsm_event_log_listeners',
    help: 'Streams following the event log on this node',
    collect() {
      this.set(eventLog.metrics().listeners);
    },
  });
}
