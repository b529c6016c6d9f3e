/**
 * Access tokens: HS256 JWTs (issuer `bsm-agentos`, audience `bsm-api`) carrying the user, their
 * role, the session (refresh-token family) they belong to and a `jti`. Only HS256 is accepted,
 * so `alg: none` and algorithm-confusion tokens fail verification.
 */
import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { UserRole } from '../../domain.js';
import { AppError } from '../../errors.js';

export const TOKEN_ISSUER = 'bsm-agentos';
export const TOKEN_AUDIENCE = 'bsm-api';

export interface AccessClaims {
  userId: string;
  role: UserRole;
  /** The refresh-token family: logging out revokes it, and with it this token. */
  sessionId: string;
  jti: string;
  /** Issue time in milliseconds: compared with the user's token cut-off (JWT `iat` is seconds). */
  issuedAtMs: number;
}

export const unauthenticated = (message = 'Authentication required') =>
  new AppError(message, 401, 'UNAUTHENTICATED');

/** Verified tokens remembered at most (cleared when full: a bound, not an LRU). */
const MAX_VERIFIED = 10_000;

export class TokenService {
  private readonly key: Uint8Array;
  private readonly verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();

  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(
    user: { id: string; role: UserRole },
    sessionId: string,
  ): Promise<{ token: string; jti: string }> {
    const jti = randomUUID();
    const token = await new SignJWT({ role: user.role, sid: sessionId, iat_ms: Date.now() })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setJti(jti)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
    return { token, jti };
  }

  /**
   * The claims of a valid token; 401 for anything else (bad signature, claims, expiry, shape).
   * A token whose signature and claims were checked once is remembered until its `exp`: the bytes
   * cannot change, and jose's WebCrypto HMAC verify was the largest single cost of a cached read
   * (key import + async verify, ~10% of server CPU in bench:api). Revocation is not affected: the
   * caller checks the user, the cut-off and the session on every request.
   */
  async verify(token: string): Promise<AccessClaims> {
    const known = this.verified.get(token);
    if (known) {
      if (known.expiresAtMs > Date.now()) return known.claims;
      this.verified.delete(token);
      throw unauthenticated('Token expired');
    }
    const claims = await this.verifySignature(token);
    if (this.verified.size >= MAX_VERIFIED) this.verified.clear();
    this.verified.set(token, { claims, expiresAtMs: claims.expiresAtMs });
    return claims;
  }

  private async verifySignature(token: string): Promise<AccessClaims & { expiresAtMs: number }> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        requiredClaims: ['sub', 'jti', 'exp', 'iat'],
      });
      const { sub, role, sid, jti, iat_ms: issuedAtMs, exp } = payload;
      if (
        typeof exp !== 'number' ||
        typeof sub !== 'string' ||
        typeof role !== 'string' ||
        typeof sid !== 'string' ||
        typeof jti !== 'string' ||
        typeof issuedAtMs !== 'number'
      ) {
        throw unauthenticated('Invalid token');
      }
      return {
        userId: sub,
        role: role as UserRole,
        sessionId: sid,
        jti,
        issuedAtMs,
        expiresAtMs: exp * 1000,
      };
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof errors.JWTExpired) throw unauthenticated('Token expired');
      throw unauthenticated('Invalid token');
    }
  }
}
