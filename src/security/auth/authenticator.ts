/**
 * Turns a request's credential into the caller. Credentials come from `Authorization: Bearer`,
 * `x-auth-token` or the `token` cookie (the seed's three places); `bsm_…` values are API keys,
 * anything else an access JWT. Every request re-checks that the user exists, is active, and that
 * the token is newer than the user's cut-off and its session not revoked. Those answers are cached
 * in-process for a few seconds (invalidated here at once on change; other nodes see a change
 * within CACHE_TTL_MS).
 */
import type { FastifyRequest } from 'fastify';
import type { User } from '../../domain.js';
import type { UserRepository } from '../../repositories/users.js';
import { toUser } from '../../repositories/users.js';
import { API_KEY_PREFIX, type ApiKeyService, effectiveKeyRole } from './apiKeys.js';
import type { SessionStore } from './sessions.js';
import { type TokenService, unauthenticated } from './tokens.js';

export const CACHE_TTL_MS = 5_000;
const MAX_CACHED = 10_000;

export interface Principal {
  user: User;
  via: 'token' | 'api_key';
  sessionId?: string;
  jti?: string;
  apiKeyId?: string;
}

interface CachedUser {
  user: User;
  tokensValidAfterMs: number;
  until: number;
}

export function extractCredential(request: FastifyRequest): string | undefined {
  return locateCredential(request)?.value;
}

/** The credential and where it came from: the cookie is the one a browser sends by itself (CSRF). */
export function locateCredential(
  request: FastifyRequest,
): { value: string; from: 'header' | 'cookie' } | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match) return { value: match[1], from: 'header' };
  }
  const header = request.headers['x-auth-token'];
  if (typeof header === 'string' && header.trim()) return { value: header.trim(), from: 'header' };
  const cookie = (request as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies
    ?.token;
  const value = cookie?.trim();
  return value ? { value, from: 'cookie' } : undefined;
}

export class Authenticator {
  private readonly users = new Map<string, CachedUser>();
  private readonly liveSessions = new Map<string, number>();
  private readonly revokedSessions = new Set<string>();

  constructor(
    private readonly deps: {
      users: UserRepository;
      tokens: TokenService;
      apiKeys: ApiKeyService;
      sessions: SessionStore;
    },
  ) {}

  async authenticate(credential: string): Promise<Principal> {
    if (credential.startsWith(API_KEY_PREFIX)) {
      const key = await this.deps.apiKeys.find(credential);
      if (!key) throw unauthenticated('Invalid API key');
      const { user } = await this.activeUser(key.userId);
      return {
        user: { ...user, role: effectiveKeyRole(key.role, user.role) },
        via: 'api_key',
        apiKeyId: key.id,
      };
    }
    const claims = await this.deps.tokens.verify(credential);
    const { user, tokensValidAfterMs } = await this.activeUser(claims.userId);
    if (claims.issuedAtMs < tokensValidAfterMs) throw unauthenticated('Token revoked');
    if (await this.sessionRevoked(claims.sessionId)) throw unauthenticated('Token revoked');
    return { user, via: 'token', sessionId: claims.sessionId, jti: claims.jti };
  }

  /** Forget what we know of a user (role, status or password changed). */
  invalidateUser(userId: string): void {
    this.users.delete(userId);
  }

  markSessionRevoked(sessionId: string): void {
    this.liveSessions.delete(sessionId);
    this.revokedSessions.add(sessionId);
    if (this.revokedSessions.size > MAX_CACHED) this.revokedSessions.clear();
  }

  private async activeUser(userId: string): Promise<CachedUser> {
    const now = Date.now();
    const cached = this.users.get(userId);
    if (cached && cached.until > now) return cached;
    const state = await this.deps.users.findAuthState(userId);
    if (!state?.row.is_active) {
      this.users.delete(userId);
      throw unauthenticated('Account is not active');
    }
    const entry = {
      user: toUser(state.row),
      tokensValidAfterMs: state.tokensValidAfter?.getTime() ?? 0,
      until: now + CACHE_TTL_MS,
    };
    if (this.users.size >= MAX_CACHED) this.users.clear();
    this.users.set(userId, entry);
    return entry;
  }

  private async sessionRevoked(sessionId: string): Promise<boolean> {
    if (this.revokedSessions.has(sessionId)) return true;
    const liveUntil = this.liveSessions.get(sessionId);
    if (liveUntil && liveUntil > Date.now()) return false;
    if (await this.deps.sessions.isRevoked(sessionId)) {
      this.markSessionRevoked(sessionId);
      return true;
    }
    if (this.liveSessions.size >= MAX_CACHED) this.liveSessions.clear();
    this.liveSessions.set(sessionId, Date.now() + CACHE_TTL_MS);
    return false;
  }
}
