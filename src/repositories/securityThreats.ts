import type { Queryable } from '../db/index.js';
import type { Page, PageRequest } from '../domain.js';
import { selectPage, Where } from './sql.js';

export type ThreatType =
  | 'brute_force'
  | 'credential_stuffing'
  | 'sql_injection'
  | 'script_injection'
  | 'prompt_injection'
  | 'rate_anomaly';
export const THREAT_TYPES: readonly ThreatType[] = [
  'brute_force',
  'credential_stuffing',
  'sql_injection',
  'script_injection',
  'prompt_injection',
  'rate_anomaly',
];
export type ThreatSeverity = 'low' | 'medium' | 'high';

export interface SecurityThreat {
  id: string;
  type: ThreatType;
  severity: ThreatSeverity;
  ipAddress: string | null;
  userId: string | null;
  username: string | null;
  details: Record<string, unknown>;
  createdAt: Date;
}

interface ThreatRow {
  id: string;
  type: ThreatType;
  severity: ThreatSeverity;
  ip_address: string | null;
  user_id: string | null;
  username: string | null;
  details: Record<string, unknown> | null;
  created_at: Date;
}

const toThreat = (row: ThreatRow): SecurityThreat => ({
  id: row.id,
  type: row.type,
  severity: row.severity,
  ipAddress: row.ip_address,
  userId: row.user_id,
  username: row.username,
  details: row.details ?? {},
  createdAt: row.created_at,
});

export type NewThreat = Omit<SecurityThreat, 'id' | 'createdAt'>;

export interface ThreatFilters extends PageRequest {
  type?: ThreatType;
  severity?: ThreatSeverity;
  ipAddress?: string;
}

export class SecurityThreatRepository {
  constructor(private readonly db: Queryable) {}

  async create(t: NewThreat): Promise<SecurityThreat> {
    const { rows } = await this.db.query<ThreatRow>(
      `INSERT INTO security_threats (type, severity, ip_address, user_id, username, details)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [t.type, t.severity, t.ipAddress, t.userId, t.username, JSON.stringify(t.details)],
    );
    return toThreat(rows[0]);
  }

  list(filters: ThreatFilters = {}): Promise<Page<SecurityThreat>> {
    const where = new Where()
      .add('type = ?', filters.type)
      .add('severity = ?', filters.severity)
      .add('ip_address = ?', filters.ipAddress);
    return selectPage(this.db, 'security_threats', where, 'created_at DESC, id', filters, toThreat);
  }

  /** Counts per type over the last `hours`, for the status report. */
  async countByType(hours: number): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ type: string; n: number }>(
      `SELECT type, count(*)::int AS n FROM security_threats
       WHERE created_at > CURRENT_TIMESTAMP - make_interval(hours => $1) GROUP BY type`,
      [hours],
    );
    return Object.fromEntries(rows.map((r) => [r.type, r.n]));
  }
}
