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

export class TokenService {
  private readonly key: Uint8Array;

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

  /** The claims of a valid token; 401 for anything else (bad signature, claims, expiry, shape). */
  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        requiredClaims: ['sub', 'jti', 'exp', 'iat'],
      });
      const { sub, role, sid, jti, iat_ms: issuedAtMs } = payload;
      if (
        typeof sub !== 'string' ||
        typeof role !== 'string' ||
        typeof sid !== 'string' ||
        typeof jti !== 'string' ||
        typeof issuedAtMs !== 'number'
      ) {
        throw unauthenticated('Invalid token');
      }
      return { userId: sub, role: role as UserRole, sessionId: sid, jti, issuedAtMs };
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof errors.JWTExpired) throw unauthenticated('Token expired');
      throw unauthenticated('Invalid token');
    }
  }
}
