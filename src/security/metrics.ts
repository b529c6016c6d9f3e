import type { MetricsRegistry } from '../metrics.js';

/**
 * The security side's series in `/metrics` (see src/metrics.ts). Only what this process counts:
 * a scrape reads no table (audit rows per action are at `GET /api/audit/metrics`).
 */
export function registerSecurityMetrics(m: MetricsRegistry, audit: { writeFailures(): number }): void {
  m.counterFrom(
    'bsm_audit_write_failures_total',
    'Audit rows this process failed to write (the request went on; each failure is logged)',
    () => audit.writeFailures(),
  );
}
