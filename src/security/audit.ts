import type { Db } from '../db/index.js';
import type { AuditLog, Page } from '../domain.js';
import type { Logger } from '../logger.js';
import { type AuditFilters, AuditLogRepository, toAuditLog, toChainRow } from '../repositories/auditLogs.js';
import { type ChainVerification, ChainWalker, chainHash, GENESIS_HASH } from './auditChain.js';

export interface AuditEntry {
  /** Dotted verb, e.g. `agent.create`, `auth.login_failed`. */
  action: string;
  resourceType: string;
  resourceId?: string | null;
  details?: Record<string, unknown>;
  userId?: string | null;
  ipAddress?: string | null;
  userAgent?: string | null;
}

/** Keys whose values never enter the audit log, at any depth. */
const SECRET_KEY_RE =
  /pass(word)?|secret|token|api[-_]?key|authorization|cookie|credential|private[-_]?key|ciphertext|^value$/i;

export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_KEY_RE.test(k) ? '[redacted]' : scrubSecrets(v, depth + 1);
  return out;
}

/**
 * Every node appending to the chain takes this transaction-level advisory lock first, so rows get
 * consecutive `seq` values and each one links to the row committed just before it — across
 * processes, not only within one. "bsm" + 2 (the migration lock is + 1).
 */
export const AUDIT_CHAIN_LOCK_KEY = 0x62736d02;

/** Rows read per batch while verifying: bounded memory on a long chain. */
const VERIFY_BATCH = 500;

export interface AuditMetrics {
  total: number;
  byAction: Record<string, number>;
  /** Audit rows this process failed to write since it started. */
  writeFailures: number;
}

/**
 * Writes and checks the hash-chained audit log. An audit failure never breaks the request that
 * caused it (the seed's rule): `record` logs and counts it instead of throwing.
 */
export class AuditService {
  private failures = 0;
  private readonly repo: AuditLogRepository;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {
    this.repo = new AuditLogRepository(db);
  }

  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.append(entry);
    } catch (err) {
      this.failures += 1;
      this.logger.error({ err: (err as Error).message, action: entry.action }, 'audit write failed');
    }
  }

  /**
   * Appends one row to the chain and returns it; throws on failure (use `record` from request
   * paths). The head is read inside the locked transaction: under READ COMMITTED each statement
   * sees every chain row committed before the lock was granted.
   */
  async append(entry: AuditEntry): Promise<AuditLog> {
    const details = scrubSecrets(entry.details ?? {}) as Record<string, unknown>;
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK_KEY]);
      const repo = new AuditLogRepository(tx);
      const head = await repo.lastLink();
      const prevHash = head ? (head.hash ?? GENESIS_HASH) : GENESIS_HASH;
      const row = await repo.insertLinked({ ...entry, details }, (head?.seq ?? 0) + 1, prevHash, new Date());
      const hash = chainHash(prevHash, toChainRow(row));
      await repo.setHash(row.id, hash);
      return toAuditLog({ ...row, hash });
    });
  }

  /** Walks the whole chain in order and reports the first broken link. */
  async verify(): Promise<ChainVerification> {
    const walker = new ChainWalker();
    let afterSeq = 0;
    for (;;) {
      const rows = await this.repo.chainAfter(afterSeq, VERIFY_BATCH);
      for (const row of rows) {
        const broken = walker.check(toChainRow(row));
        if (broken) return broken;
      }
      if (rows.length < VERIFY_BATCH) return { ok: true, checked: walker.checked };
      afterSeq = Number(rows[rows.length - 1].seq);
    }
  }

  list(filters: AuditFilters): Promise<Page<AuditLog>> {
    return this.repo.list(filters);
  }

  async metrics(): Promise<AuditMetrics> {
    const byAction = await this.repo.countByAction();
    const total = Object.values(byAction).reduce((a, b) => a + b, 0);
    return { total, byAction, writeFailures: this.failures };
  }

  /** Failures only, without touching the database (for /metrics and status pages). */
  writeFailures(): number {
    return this.failures;
  }
}
