import type { Queryable } from '../db/index.js';
import type { AuditLog, Page, PageRequest } from '../domain.js';
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
}

export function toAuditLog(row: AuditLogRow): AuditLog {
  return {
    id: row.id,
    userId: row.user_id,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    details: row.details ?? {},
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    createdAt: row.created_at,
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

  async create(entry: NewAuditLog): Promise<AuditLog> {
    const { rows } = await this.db.query<AuditLogRow>(
      `INSERT INTO audit_logs (user_id, action, resource_type, resource_id, details, ip_address, user_agent)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [
        entry.userId ?? null,
        entry.action,
        entry.resourceType,
        entry.resourceId ?? null,
        JSON.stringify(entry.details ?? {}),
        entry.ipAddress ?? null,
        entry.userAgent ?? null,
      ],
    );
    return toAuditLog(rows[0]);
  }

  list(filters: AuditFilters = {}): Promise<Page<AuditLog>> {
    const where = new Where()
      .add('user_id = ?', filters.userId)
      .add('action = ?', filters.action)
      .add('resource_type = ?', filters.resourceType)
      .add('created_at >= ?', filters.from)
      .add('created_at <= ?', filters.to);
    return selectPage(this.db, 'audit_logs', where, 'created_at DESC, id', filters, toAuditLog);
  }

  /** Counts per action, for the audit metrics. */
  async countByAction(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ action: string; n: number }>(
      'SELECT action, count(*)::int AS n FROM audit_logs GROUP BY action',
    );
    return Object.fromEntries(rows.map((r) => [r.action, r.n]));
  }
}
