/**
 * Login, refresh and logout. Every outcome is audited (without the password or any token);
 * failures feed the brute-force detector, and unknown user and wrong password answer the same.
 */
import type { FastifyRequest } from 'fastify';
import type { User } from '../../domain.js';
import { AppError, validation } from '../../errors.js';
import { toUser, type UserRepository } from '../../repositories/users.js';
import type { AuditService } from '../audit.js';
import type { RateLimiter } from '../rateLimit.js';
import { requestContext } from '../requestContext.js';
import { type ThreatDetector, usernameFingerprint } from '../threats/detector.js';
import type { UserAccounts } from '../userAccounts.js';
import type { Authenticator } from './authenticator.js';
import { invalidRefreshToken, type SessionStore } from './sessions.js';
import type { TokenService } from './tokens.js';

export interface LoginResult {
  token: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  user: User;
}

const invalidCredentials = () => new AppError('Invalid username or password', 401, 'INVALID_CREDENTIALS');

export class LoginFlow {
  constructor(
    private readonly deps: {
      users: UserRepository;
      accounts: UserAccounts;
      sessions: SessionStore;
      tokens: TokenService;
      authenticator: Authenticator;
      rateLimiter: RateLimiter;
      threats: ThreatDetector;
      audit: AuditService;
    },
  ) {}

  /** A fresh session for `user`: what login answers (tests use it to skip the password hash). */
  async startSession(user: User): Promise<LoginResult> {
    const { sessionId, refreshToken } = await this.deps.sessions.open(user.id);
    const { token } = await this.deps.tokens.issue(user, sessionId);
    return { token, refreshToken, expiresIn: this.deps.tokens.ttlSeconds, user };
  }

  async login(request: FastifyRequest, username: string, password: string): Promise<LoginResult> {
    const { rateLimiter, threats, accounts, users, audit } = this.deps;
    const ip = request.ip;
    try {
      await rateLimiter.consume('login', ip);
    } catch (error) {
      await threats.rateAnomaly(request, 'login');
      throw error;
    }
    await threats.assertLoginAllowed(username, ip);
    const row = await accounts.verifyCredentials(username, password);
    if (!row) {
      const known = await users.findRowByUsername(username);
      await threats.loginFailed(username, ip, known?.id ?? null);
      await audit.record({
        action: 'auth.login_failed',
        resourceType: 'user',
        resourceId: known?.id ?? null,
        userId: known?.id ?? null,
        ipAddress: ip,
        userAgent: request.headers['user-agent'] ?? null,
        details: known
          ? { username: known.username, reason: 'bad_password_or_inactive' }
          : { usernameFingerprint: usernameFingerprint(username), reason: 'unknown_user' },
      });
      throw invalidCredentials();
    }
    await threats.loginSucceeded(username, ip);
    await users.recordLogin(row.id);
    const result = await this.startSession(toUser(row));
    request.user = result.user;
    await audit.record({
      ...requestContext(request),
      action: 'auth.login',
      resourceType: 'user',
      resourceId: row.id,
    });
    return result;
  }

  async refresh(request: FastifyRequest, refreshToken: string): Promise<LoginResult> {
    const { sessions, users, tokens, authenticator, audit } = this.deps;
    const rotation = await sessions.rotate(refreshToken);
    if (!rotation.ok) {
      if (rotation.sessionId) authenticator.markSessionRevoked(rotation.sessionId);
      if (rotation.reason === 'reused') {
        await audit.record({
          action: 'auth.refresh_reuse',
          resourceType: 'session',
          resourceId: rotation.sessionId ?? null,
          userId: rotation.userId ?? null,
          ipAddress: request.ip,
          userAgent: request.headers['user-agent'] ?? null,
          details: { revoked: 'family' },
        });
      }
      throw invalidRefreshToken(rotation.reason === 'expired' ? 'Refresh token expired' : undefined);
    }
    const state = await users.findAuthState(rotation.userId);
    if (!state?.row.is_active) {
      await sessions.revoke(rotation.sessionId, 'deactivated');
      throw invalidRefreshToken();
    }
    const user = toUser(state.row);
    const { token } = await tokens.issue(user, rotation.sessionId);
    request.user = user;
    await audit.record({
      ...requestContext(request),
      action: 'auth.refresh',
      resourceType: 'session',
      resourceId: rotation.sessionId,
    });
    return { token, refreshToken: rotation.refreshToken, expiresIn: tokens.ttlSeconds, user };
  }

  /** Ends the caller's session: its refresh family and every access token issued in it. */
  async logout(request: FastifyRequest): Promise<void> {
    const principal = request.principal;
    if (!principal?.sessionId) {
      throw validation('Only a session can log out; revoke an API key with DELETE /api/auth/api-keys/:id');
    }
    await this.deps.sessions.revoke(principal.sessionId, 'logout');
    this.deps.authenticator.markSessionRevoked(principal.sessionId);
    await this.deps.audit.record({
      ...requestContext(request),
      action: 'auth.logout',
      resourceType: 'session',
      resourceId: principal.sessionId,
    });
  }
}
