/**
 * Login sessions: one refresh-token family per login. Refresh tokens are opaque random strings,
 * stored as SHA-256 hashes, valid once: each refresh marks the presented token used and issues
 * the next in the same family. Presenting a used token again means it was stolen (or replayed),
 * so the whole family is revoked — the thief and the victim both have to log in again.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../db/index.js';
import { AppError } from '../../errors.js';
import { RefreshTokenRepository } from '../../repositories/refreshTokens.js';

/** A week: long enough for a working session, short enough that a leaked token ages out. */
export const REFRESH_TTL_SECONDS = 7 * 24 * 3600;

export const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

export const invalidRefreshToken = (message = 'Invalid refresh token') =>
  new AppError(message, 401, 'INVALID_REFRESH_TOKEN');

export type Rotation =
  | { ok: true; userId: string; sessionId: string; refreshToken: string }
  | { ok: false; reason: 'unknown' | 'revoked' | 'expired' | 'reused'; userId?: string; sessionId?: string };

export class SessionStore {
  private readonly repo: RefreshTokenRepository;

  constructor(private readonly db: Db) {
    this.repo = new RefreshTokenRepository(db);
  }

  /** A new family with its first refresh token. */
  async open(userId: string): Promise<{ sessionId: string; refreshToken: string }> {
    const sessionId = await this.repo.createFamily(userId);
    const refreshToken = newRefreshToken();
    await this.repo.addToken(sessionId, sha256Hex(refreshToken), REFRESH_TTL_SECONDS);
    return { sessionId, refreshToken };
  }

  /**
   * Exchanges a refresh token for the next one. The row lock makes two concurrent uses of one
   * token resolve as one rotation and one reuse; the reuse's revocation commits before the refusal.
   */
  rotate(refreshToken: string): Promise<Rotation> {
    return this.db.transaction(async (tx) => {
      const repo = new RefreshTokenRepository(tx);
      const row = await repo.findForRotation(sha256Hex(refreshToken));
      if (!row) return { ok: false, reason: 'unknown' } as const;
      const who = { userId: row.user_id, sessionId: row.family_id };
      if (row.family_revoked_at) return { ok: false, reason: 'revoked', ...who } as const;
      if (row.used_at) {
        await repo.revokeFamily(row.family_id, 'reuse');
        return { ok: false, reason: 'reused', ...who } as const;
      }
      if (row.expired) return { ok: false, reason: 'expired', ...who } as const;
      await repo.markUsed(row.id);
      const next = newRefreshToken();
      await repo.addToken(row.family_id, sha256Hex(next), REFRESH_TTL_SECONDS);
      return { ok: true, ...who, refreshToken: next } as const;
    });
  }

  revoke(sessionId: string, reason: string): Promise<boolean> {
    return this.repo.revokeFamily(sessionId, reason);
  }

  revokeAllForUser(userId: string, reason: string): Promise<void> {
    return this.repo.revokeAllForUser(userId, reason);
  }

  isRevoked(sessionId: string): Promise<boolean> {
    return this.repo.isFamilyRevoked(sessionId);
  }

  activeCount(): Promise<number> {
    return this.repo.countActiveFamilies();
  }
}

function newRefreshToken(): string {
  return `bsmr_${randomBytes(32).toString('base64url')}`;
}
