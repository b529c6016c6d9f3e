/**
 * Refresh-token families and their rotating tokens. Only SHA-256 hashes of token values are
 * stored; expiry is computed and compared with the database clock, so nodes never disagree.
 */
import type { Queryable } from '../db/index.js';

export interface RefreshTokenRow {
  id: string;
  family_id: string;
  token_hash: string;
  expires_at: Date;
  used_at: Date | null;
  /** From the family. */
  user_id: string;
  family_revoked_at: Date | null;
  expired: boolean;
}

export class RefreshTokenRepository {
  constructor(private readonly db: Queryable) {}

  async createFamily(userId: string): Promise<string> {
    const { rows } = await this.db.query<{ id: string }>(
      'INSERT INTO refresh_token_families (user_id) VALUES ($1) RETURNING id',
      [userId],
    );
    return rows[0].id;
  }

  async addToken(familyId: string, tokenHash: string, ttlSeconds: number): Promise<void> {
    await this.db.query(
      `INSERT INTO refresh_tokens (family_id, token_hash, expires_at)
       VALUES ($1, $2, CURRENT_TIMESTAMP + make_interval(secs => $3))`,
      [familyId, tokenHash, ttlSeconds],
    );
  }

  /** Locks the token row (call inside a transaction) so two concurrent rotations cannot both win. */
  async findForRotation(tokenHash: string): Promise<RefreshTokenRow | undefined> {
    const { rows } = await this.db.query<RefreshTokenRow>(
      `SELECT t.id, t.family_id, t.token_hash, t.expires_at, t.used_at, f.user_id,
              f.revoked_at AS family_revoked_at, t.expires_at <= CURRENT_TIMESTAMP AS expired
       FROM refresh_tokens t JOIN refresh_token_families f ON f.id = t.family_id
       WHERE t.token_hash = $1
       FOR UPDATE OF t`,
      [tokenHash],
    );
    return rows[0];
  }

  async markUsed(id: string): Promise<void> {
    await this.db.query('UPDATE refresh_tokens SET used_at = CURRENT_TIMESTAMP WHERE id = $1', [id]);
  }

  /** Revokes one family; true when it was still live. */
  async revokeFamily(familyId: string, reason: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE refresh_token_families SET revoked_at = CURRENT_TIMESTAMP, revoked_reason = $2
       WHERE id = $1 AND revoked_at IS NULL`,
      [familyId, reason],
    );
    return rowCount > 0;
  }

  async revokeAllForUser(userId: string, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE refresh_token_families SET revoked_at = CURRENT_TIMESTAMP, revoked_reason = $2
       WHERE user_id = $1 AND revoked_at IS NULL`,
      [userId, reason],
    );
  }

  /** Whether the family is revoked (or gone): the per-request check behind access tokens. */
  async isFamilyRevoked(familyId: string): Promise<boolean> {
    const { rows } = await this.db.query<{ revoked: boolean }>(
      'SELECT revoked_at IS NOT NULL AS revoked FROM refresh_token_families WHERE id = $1',
      [familyId],
    );
    return rows[0]?.revoked ?? true;
  }

  async countActiveFamilies(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `SELECT count(DISTINCT f.id)::int AS n FROM refresh_token_families f
       JOIN refresh_tokens t ON t.family_id = f.id
       WHERE f.revoked_at IS NULL AND t.used_at IS NULL AND t.expires_at > CURRENT_TIMESTAMP`,
    );
    return rows[0]?.n ?? 0;
  }
}
