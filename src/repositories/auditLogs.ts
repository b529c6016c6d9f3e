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

export class AuditLogRepository {
  constructor(private readonly db: Queryable) {}

  /**
   * Inserts a row already placed in the chain (`seq`, `prev_hash`); its hash is set by `setHash`
   * once the database has normalised the values (INET, JSONB), so the hash covers exactly what a
   * later reader sees. The caller holds the chain lock for both statements.
   */
  async insertLinked(
    entry: NewAuditLog,
    seq: number,
    prevHash: string,
    createdAt: Date,
  ): Promise<AuditLogRow> {
    const { rows } = await this.db.query<AuditLogRow>(
      `INSERT INTO audit_logs
         (user_id, action, resource_type, resource_id, details, ip_address, user_agent, created_at, seq, prev_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [
        entry.userId ?? null,
        entry.action,
        entry.resourceType,
        entry.resourceId ?? null,
        JSON.stringify(entry.details ?? {}),
        entry.ipAddress ?? null,
        entry.userAgent ?? null,
        // ISO text in UTC: the TIMESTAMP column keeps it to the millisecond the hash covers.
        createdAt.toISOString(),
        seq,
        prevHash,
      ],
    );
    return rows[0];
  }

  async setHash(id: string, hash: string): Promise<void> {
    await this.db.query('UPDATE audit_logs SET hash = $2 WHERE id = $1', [id, hash]);
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
