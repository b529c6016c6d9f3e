/**
 * The security hub: builds the authentication, authorisation, rate-limit and threat-detection
 * pieces from the system's parts and exposes the one `guard` the HTTP app runs on every route.
 */
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { EventBus } from '../core/eventBus.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../logger.js';
import { closeRedisClient, connectWithin, createRedisClient, type RedisClient } from '../redis.js';
import type { Repositories } from '../repositories/index.js';
import type { AuditService } from './audit.js';
import { ApiKeyService } from './auth/apiKeys.js';
import { Authenticator } from './auth/authenticator.js';
import { createGuard } from './auth/guard.js';
import { LoginFlow } from './auth/login.js';
import { SessionStore } from './auth/sessions.js';
import { TokenService } from './auth/tokens.js';
import type { ResolvedSecrets } from './localSecrets.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords.js';
import { RateLimiter } from './rateLimit.js';
import type { AccessCheck } from './requestContext.js';
import { DEFAULT_LOCKOUT, type LockoutPolicy, ThreatDetector } from './threats/detector.js';
import { UserAccounts } from './userAccounts.js';
import { MemoryWindowStore, RedisWindowStore, type WindowStore } from './windowStore.js';

export interface SecurityHubDeps {
  config: Config;
  secrets: ResolvedSecrets;
  db: Db;
  repos: Repositories;
  audit: AuditService;
  events: EventBus;
  logger: Logger;
}

export interface SecurityHubOptions {
  /** Override lockout thresholds (tests). */
  lockout?: Partial<LockoutPolicy>;
}

export class SecurityHub {
  readonly tokens: TokenService;
  readonly sessions: SessionStore;
  readonly apiKeys: ApiKeyService;
  readonly authenticator: Authenticator;
  readonly accounts: UserAccounts;
  readonly rateLimiter: RateLimiter;
  readonly threats: ThreatDetector;
  readonly auth: LoginFlow;
  readonly lockout: LockoutPolicy;
  /** Runs before every route's handler (see `buildApp`). */
  readonly guard: AccessCheck;

  private constructor(
    private readonly deps: SecurityHubDeps,
    store: WindowStore,
    private readonly redis: RedisClient | undefined,
    options: SecurityHubOptions,
  ) {
    const { config, secrets, db, repos, audit, events, logger } = deps;
    this.lockout = { ...DEFAULT_LOCKOUT, ...options.lockout };
    this.tokens = new TokenService(secrets.jwtSecret, config.accessTokenTtlSeconds);
    this.sessions = new SessionStore(db);
    this.apiKeys = new ApiKeyService(repos.apiKeys, config.apiKeyTtlDays);
    this.authenticator = new Authenticator({
      users: repos.users,
      tokens: this.tokens,
      apiKeys: this.apiKeys,
      sessions: this.sessions,
    });
    this.accounts = new UserAccounts({
      repo: repos.users,
      sessions: this.sessions,
      apiKeys: this.apiKeys,
      authenticator: this.authenticator,
    });
    this.rateLimiter = new RateLimiter(store, config.rateLimit);
    this.threats = new ThreatDetector({
      store,
      repo: repos.securityThreats,
      audit,
      events,
      logger,
      policy: this.lockout,
    });
    this.auth = new LoginFlow({
      users: repos.users,
      accounts: this.accounts,
      sessions: this.sessions,
      tokens: this.tokens,
      authenticator: this.authenticator,
      rateLimiter: this.rateLimiter,
      threats: this.threats,
      audit,
    });
    this.guard = createGuard({
      authenticator: this.authenticator,
      rateLimiter: this.rateLimiter,
      threats: this.threats,
      audit,
      trustedOrigins: config.corsOrigins,
    });
  }

  /**
   * Builds the hub; with REDIS_URL the rate-limit and lockout windows live in Redis (shared by all
   * nodes). Redis being down at start is not fatal: the store falls back to memory until it answers.
   */
  static async create(deps: SecurityHubDeps, options: SecurityHubOptions = {}): Promise<SecurityHub> {
    const { config, logger } = deps;
    if (!config.redisUrl) return new SecurityHub(deps, new MemoryWindowStore(), undefined, options);
    const redis = createRedisClient(config.redisUrl, logger, 'security');
    // Wait for Redis briefly; if it is down, start anyway (the store falls back to memory).
    const ready = await connectWithin(redis);
    if (!ready) logger.warn('Redis not reachable at start; rate limits use memory until it answers');
    const store = new RedisWindowStore(redis, `${config.redisPrefix}sec:`, logger);
    return new SecurityHub(deps, store, redis, options);
  }

  /** Flags injection patterns in a request's fields (runs after parsing, before the handler). */
  inspect(request: FastifyRequest): Promise<void> {
    return this.threats.inspect(request);
  }

  async status() {
    const { config, repos } = this.deps;
    return {
      rateLimiting: {
        enabled: config.rateLimit.perMinute > 0,
        backend: this.rateLimiter.backend,
        perMinute: config.rateLimit.perMinute,
        loginPerMinute: config.rateLimit.loginPerMinute,
      },
      lockout: {
        accountFailures: this.lockout.accountFailures,
        accountSlowAfter: this.lockout.accountSlowAfter,
        maxDelaySeconds: this.lockout.maxDelayMs / 1000,
        ipFailures: this.lockout.ipFailures,
        distinctUsernames: this.lockout.distinctUsernames,
        windowSeconds: this.lockout.windowMs / 1000,
        lockSeconds: this.lockout.lockMs / 1000,
      },
      passwordPolicy: { minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, hash: 'argon2id' },
      tokens: {
        accessTokenTtlSeconds: this.tokens.ttlSeconds,
        activeSessions: await this.sessions.activeCount(),
      },
      signupOpen: config.allowSignup,
      threatsLast24h: await repos.securityThreats.countByType(24),
    };
  }

  async close(): Promise<void> {
    if (this.redis) await closeRedisClient(this.redis);
  }
}
