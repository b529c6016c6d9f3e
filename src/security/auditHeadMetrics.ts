import { Gauge, type Registry } from 'prom-client';
import type { ChainHead } from './auditChain.js';

/**
 * The audit head as metrics (SPEC §10): `bsm_audit_head_seq` and the info metric
 * `bsm_audit_head_info{hash="…"} 1`, so a monitoring system keeps a copy of every head outside
 * the database. Read from memory at scrape time (the chainer and the minute log keep it fresh).
 */
export function registerAuditHeadMetrics(registry: Registry, head: () => ChainHead | undefined): void {
  new Gauge({
    name: 'bsm_audit_head_seq',
    help: 'Sequence number of the newest chained audit row this node has seen',
    registers: [registry],
    collect() {
      this.set(head()?.seq ?? 0);
    },
  });
  new Gauge({
    name: 'bsm_audit_head_info',
    help: 'Hash of the newest chained audit row (label), value always 1',
    labelNames: ['hash'],
    registers: [registry],
    collect() {
      this.reset();
      const current = head();
      if (current) this.set({ hash: current.hash }, 1);
    },
  });
}
