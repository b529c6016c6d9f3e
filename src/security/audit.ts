import type { Db } from '../db/index.js';
import type { AuditLog, Page } from '../domain.js';
import type { Logger } from '../logger.js';
import {
  type AuditFilters,
  AuditLogRepository,
  type AuditLogRow,
  auditRowValues,
  toAuditLog,
  toChainRow,
} from '../repositories/auditLogs.js';
import {
  type AuditKeys,
  type ChainHead,
  type ChainVerification,
  ChainWalker,
  cutoverMacValid,
} from './auditChain.js';
import { AuditChainer, type AuditChainerOptions, UNCHAINED_GRACE_MS } from './auditChainer.js';

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

/** Rows read per batch while verifying: bounded memory on a long chain. */
const VERIFY_BATCH = 500;

export interface AuditMetrics {
  total: number;
  byAction: Record<string, number>;
  /** Audit rows this process failed to write since it started. */
  writeFailures: number;
}

/**
 * Writes and checks the hash-chained audit log. A write is one INSERT; the chainer links rows in
 * the background (auditChainer.ts). An audit failure never breaks the request that caused it (the
 * seed's rule): `record` logs and counts it instead of throwing.
 */
export class AuditService {
  private failures = 0;
  private readonly repo: AuditLogRepository;
  readonly chainer: AuditChainer;

  constructor(
    db: Db,
    private readonly logger: Logger,
    private readonly keys: AuditKeys,
    chainer: AuditChainerOptions = {},
  ) {
    this.repo = new AuditLogRepository(db);
    this.chainer = new AuditChainer(db, keys, logger, chainer);
  }

  /** Chains what is waiting (and pins the SHA-256 cutover on a first run), then keeps chaining. */
  start(): Promise<void> {
    return this.chainer.start();
  }

  stop(): Promise<void> {
    return this.chainer.stop();
  }

  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.insert(entry);
      this.chainer.wake();
    } catch (err) {
      this.failures += 1;
      this.logger.error({ err: (err as Error).message, action: entry.action }, 'audit write failed');
    }
  }

  /**
   * Appends one row and waits until it is chained; throws on failure. For the CLI and tests — a
   * request uses `record`, which does not wait for the chainer.
   */
  async append(entry: AuditEntry): Promise<AuditLog> {
    const id = await this.insert(entry);
    await this.chainer.flush();
    const row = await this.repo.byId(id);
    if (!row) throw new Error(`audit row ${id} vanished before it was chained`);
    return toAuditLog(row);
  }

  /**
   * The parameters of a row that another statement inserts in its own transaction (a task's
   * submit: one commit for the task and its audit row) — scrubbed as `record` scrubs. Call
   * `written` once that statement committed, so the chainer takes the row at once.
   */
  rowValues(entry: AuditEntry): unknown[] {
    return auditRowValues(this.scrubbed(entry), new Date());
  }

  written(): void {
    this.chainer.wake();
  }

  private scrubbed(entry: AuditEntry): AuditEntry {
    return { ...entry, details: scrubSecrets(entry.details ?? {}) as Record<string, unknown> };
  }

  private insert(entry: AuditEntry): Promise<string> {
    return this.repo.insertUnchained(this.scrubbed(entry), new Date());
  }

  /**
   * Chains what is waiting, then walks the whole chain in order and reports the first broken
   * link, a row left unchained past the grace, or — given a head recorded earlier — a chain that
   * no longer contains that exact row (newest rows deleted or rewritten).
   */
  async verify(head?: ChainHead): Promise<ChainVerification> {
    await this.chainer.flush();
    const state = await this.repo.chainState();
    if (state && !cutoverMacValid(state.sha256UntilSeq, state.mac, this.keys)) {
      return {
        ok: false,
        checked: 0,
        firstBrokenSeq: String(state.sha256UntilSeq),
        reason: 'cutover_mismatch',
      };
    }
    // Without a (valid) state every row must carry an HMAC: the strict reading.
    const walker = new ChainWalker(this.keys, state?.sha256UntilSeq ?? 0);
    let afterSeq = 0;
    for (;;) {
      const rows = await this.repo.chainAfter(afterSeq, VERIFY_BATCH);
      for (const row of rows) {
        const chainRow = toChainRow(row);
        const broken = walker.check(chainRow);
        if (broken) return broken;
        if (head && Number(row.seq) === head.seq && row.hash !== head.hash) {
          return { ...brokenAt(row, walker.checked), reason: 'head_mismatch' };
        }
      }
      if (rows.length < VERIFY_BATCH) break;
      afterSeq = Number(rows[rows.length - 1].seq);
    }
    if (head && (walker.last?.seq ?? 0) < head.seq) {
      return { ok: false, checked: walker.checked, firstBrokenSeq: String(head.seq), reason: 'head_missing' };
    }
    const stale = await this.repo.oldestUnchainedBefore(new Date(Date.now() - UNCHAINED_GRACE_MS));
    if (stale) return { ...brokenAt(stale, walker.checked + 1), reason: 'unchained' };
    return { ok: true, checked: walker.checked, ...(walker.last ? { head: walker.last } : {}) };
  }

  /** The newest head this node knows (for the metrics; read from the database once a minute). */
  head(): ChainHead | undefined {
    return this.chainer.head;
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

function brokenAt(row: AuditLogRow, checked: number): ChainVerification {
  return {
    ok: false,
    checked,
    firstBrokenId: row.id,
    ...(row.seq === null ? {} : { firstBrokenSeq: String(row.seq) }),
  };
}
