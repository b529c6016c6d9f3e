import type { Queryable } from '../db/index.js';
import type { UserRole } from '../domain.js';
import { isUuid } from './sql.js';

/** What the owner sees of a key: never the value or its hash. */
export interface ApiKey {
  id: string;
  userId: string;
  name: string;
  /** The first characters of the key, so an owner can tell keys apart. */
  prefix: string;
  role: UserRole;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string;
  key_prefix: string;
  role: UserRole;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    prefix: row.key_prefix,
    role: row.role,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

export interface NewApiKey {
  userId: string;
  name: string;
  prefix: string;
  keyHash: string;
  role: UserRole;
  expiresInDays?: number;
}

export class ApiKeyRepository {
  constructor(private readonly db: Queryable) {}

  async create(data: NewApiKey): Promise<ApiKey> {
    const { rows } = await this.db.query<ApiKeyRow>(
      `INSERT INTO api_keys (user_id, name, key_prefix, key_hash, role, expires_at)
       VALUES ($1, $2, $3, $4, $5,
               CASE WHEN $6::int IS NULL THEN NULL ELSE CURRENT_TIMESTAMP + make_interval(days => $6::int) END)
       RETURNING *`,
      [data.userId, data.name, data.prefix, data.keyHash, data.role, data.expiresInDays ?? null],
    );
    return toApiKey(rows[0]);
  }

  /** A live key by hash: not revoked, not expired. */
  async findActiveByHash(keyHash: string): Promise<ApiKey | undefined> {
    const { rows } = await this.db.query<ApiKeyRow>(
      `SELECT * FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL
         AND (expires_at IS NULL OR expires_at > CURRENT_TIMESTAMP)`,
      [keyHash],
    );
    return rows[0] ? toApiKey(rows[0]) : undefined;
  }

  async listForUser(userId: string): Promise<ApiKey[]> {
    const { rows } = await this.db.query<ApiKeyRow>(
      'SELECT * FROM api_keys WHERE user_id = $1 ORDER BY created_at DESC, id',
      [userId],
    );
    return rows.map(toApiKey);
  }

  /** Revokes the owner's key; false when there is no such live key of theirs. */
  async revoke(userId: string, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const { rowCount } = await this.db.query(
      'UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL',
      [id, userId],
    );
    return rowCount > 0;
  }

  /** Revokes every live key of the user (password change or reset); answers how many. */
  async revokeAllForUser(userId: string): Promise<number> {
    const { rowCount } = await this.db.query(
      'UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP WHERE user_id = $1 AND revoked_at IS NULL',
      [userId],
    );
    return rowCount;
  }

  async touch(id: string): Promise<void> {
    await this.db.query('UPDATE api_keys SET last_used_at = CURRENT_TIMESTAMP WHERE id = $1', [id]);
  }
}
