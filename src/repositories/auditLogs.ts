import type { Queryable } from '../db/index.js';
import type { AuditLog, Page, PageRequest } from '../domain.js';
import type { ChainRow } from '../security/auditChain.js';
import { selectPage, Where } from './sql.js';

export interface AuditLogRow {
  id: string;
  user_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  details: Record<string, unknown> | null;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Date;
  /** BIGINT: node-postgres returns a string, PGlite a number. */
  seq: string | number | null;
  prev_hash: string | null;
  hash: string | null;
}

export function toAuditLog(row: AuditLogRow): AuditLog {
  return {
    id: row.id,
    seq: row.seq === null ? null : Number(row.seq),
    userId: row.user_id,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    details: row.details ?? {},
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    createdAt: row.created_at,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** The row exactly as stored, in the shape the chain hashes. */
export function toChainRow(row: AuditLogRow): ChainRow {
  return {
    id: row.id,
    seq: String(row.seq),
    userId: row.user_id,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    details: row.details,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    createdAt: row.created_at.toISOString(),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export interface NewAuditLog {
  userId?: string | null;
  action: string;
  resourceType: string;
  resourceId?: string | null;
  details?: Record<string, unknown>;
  ipAddress?: string | null;
  userAgent?: string | null;
}

/** The seed's audit filters: user, action, resource type, date range, limit, offset. */
export interface AuditFilters extends PageRequest {
  userId?: string;
  action?: string;
  resourceType?: string;
  from?: Date;
  to?: Date;
}

/** The columns an unchained audit row is inserted with, in the order of `auditRowValues`. */
export const AUDIT_INSERT_COLUMNS =
  'user_id, action, resource_type, resource_id, details, ip_address, user_agent, created_at';

/** The parameters of an unchained audit row (8, in `AUDIT_INSERT_COLUMNS` order). */
export function auditRowValues(entry: NewAuditLog, createdAt: Date): unknown[] {
  return [
    entry.userId ?? null,
    entry.action,
    entry.resourceType,
    entry.resourceId ?? null,
    JSON.stringify(entry.details ?? {}),
    entry.ipAddress ?? null,
    entry.userAgent ?? null,
    // ISO text in UTC: the TIMESTAMP column keeps it to the millisecond the hash covers.
    createdAt.toISOString(),
  ];
}

export class AuditLogRepository {
  constructor(private readonly db: Queryable) {}

  /**
   * Inserts a row without a chain position: one statement, no lock, so requests never queue
   * behind each other. The chainer gives it `seq`, `prev_hash` and `hash` moments later.
   */
  async insertUnchained(entry: NewAuditLog, createdAt: Date): Promise<string> {
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO audit_logs (${AUDIT_INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      auditRowValues(entry, createdAt),
    );
    return rows[0].id;
  }

  /**
   * Unchained rows created at or after `since`, oldest first (the partial index of migration 023).
   * Older unchained rows are never chained: verify reports them (a backdated row slipped in).
   */
  async unchainedSince(since: Date, limit: number): Promise<AuditLogRow[]> {
    const { rows } = await this.db.query<AuditLogRow>(
      `SELECT * FROM audit_logs WHERE seq IS NULL AND created_at >= $1
       ORDER BY created_at, id LIMIT $2`,
      [since.toISOString(), limit],
    );
    return rows;
  }

  /** Whether anything waits for the chainer (cheap: the partial index, no transaction). */
  async hasUnchainedSince(since: Date): Promise<boolean> {
    const { rows } = await this.db.query(
      'SELECT 1 FROM audit_logs WHERE seq IS NULL AND created_at >= $1 LIMIT 1',
      [since.toISOString()],
    );
    return rows.length > 0;
  }

  /** The oldest row still without a position created before `before` (verify's "unchained"). */
  async oldestUnchainedBefore(before: Date): Promise<AuditLogRow | undefined> {
    const { rows } = await this.db.query<AuditLogRow>(
      'SELECT * FROM audit_logs WHERE seq IS NULL AND created_at < $1 ORDER BY created_at, id LIMIT 1',
      [before.toISOString()],
    );
    return rows[0];
  }

  /** Sets the links of a whole batch in one statement (the chainer holds the chain lock). */
  async link(links: Array<{ id: string; seq: number; prevHash: string; hash: string }>): Promise<void> {
    await this.db.query(
      `UPDATE audit_logs AS a SET seq = l.seq, prev_hash = l.prev_hash, hash = l.hash
       FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[]) AS l(id, seq, prev_hash, hash)
       WHERE a.id = l.id`,
      [
        links.map((l) => l.id),
        links.map((l) => l.seq),
        links.map((l) => l.prevHash),
        links.map((l) => l.hash),
      ],
    );
  }

  async chainState(): Promise<{ sha256UntilSeq: number; mac: string } | undefined> {
    const { rows } = await this.db.query<{ sha256_until_seq: string | number; mac: string }>(
      'SELECT sha256_until_seq, mac FROM audit_chain_state',
    );
    return rows[0] ? { sha256UntilSeq: Number(rows[0].sha256_until_seq), mac: rows[0].mac } : undefined;
  }

  async insertChainState(sha256UntilSeq: number, mac: string): Promise<void> {
    await this.db.query(
      'INSERT INTO audit_chain_state (sha256_until_seq, mac) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING',
      [sha256UntilSeq, mac],
    );
  }

  async byId(id: string): Promise<AuditLogRow | undefined> {
    const { rows } = await this.db.query<AuditLogRow>('SELECT * FROM audit_logs WHERE id = $1', [id]);
    return rows[0];
  }

  /** The chain's head: the highest `seq` and its hash. */
  async lastLink(): Promise<{ seq: number; hash: string | null } | undefined> {
    const { rows } = await this.db.query<{ seq: string | number; hash: string | null }>(
      'SELECT seq, hash FROM audit_logs WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1',
    );
    return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : undefined;
  }

  /** Chained rows after `afterSeq`, in chain order (keyset pagination over the unique index). */
  async chainAfter(afterSeq: number, limit: number): Promise<AuditLogRow[]> {
    const { rows } = await this.db.query<AuditLogRow>(
      'SELECT * FROM audit_logs WHERE seq > $1 ORDER BY seq ASC LIMIT $2',
      [afterSeq, limit],
    );
    return rows;
  }

  list(filters: AuditFilters = {}): Promise<Page<AuditLog>> {
    const where = new Where()
      .add('user_id = ?', filters.userId)
      .add('action = ?', filters.action)
      .add('resource_type = ?', filters.resourceType)
      .add('created_at >= ?', filters.from)
      .add('created_at <= ?', filters.to);
    return selectPage(
      this.db,
      'audit_logs',
      where,
      'created_at DESC, seq DESC NULLS LAST, id',
      filters,
      toAuditLog,
    );
  }

  /** Counts per action, for the audit metrics. */
  async countByAction(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ action: string; n: number }>(
      'SELECT action, count(*)::int AS n FROM audit_logs GROUP BY action',
    );
    return Object.fromEntries(rows.map((r) => [r.action, r.n]));
  }
}
