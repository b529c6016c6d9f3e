/**
 * Threat detection: brute force and credential stuffing at login, injection patterns in request
 * fields, request-rate anomalies. Each detection becomes a `security:threat` event, an audit row
 * and a `security_threats` row; repeats of one threat from one source are recorded once a minute
 * so a flood cannot flood the table.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { EventBus } from '../../core/eventBus.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type {
  NewThreat,
  SecurityThreat,
  SecurityThreatRepository,
} from '../../repositories/securityThreats.js';
import type { AuditService } from '../audit.js';
import { rateLimited } from '../rateLimit.js';
import type { WindowStore } from '../windowStore.js';
import { scanFields } from './injection.js';

/**
 * Lockout without a lock-out weapon: failures lock the (account, address) pair that made them, and
 * only slow the account down for everyone else. A handful of bad passwords from one address can
 * then never keep the real owner out, while guessing spread over many addresses gets slower and
 * slower (at most one attempt per `maxDelayMs` once the account is under attack).
 */
export interface LockoutPolicy {
  /** Failed logins for one account from one IP within the window that lock that pair. */
  accountFailures: number;
  /** Failed logins for one account from any IPs within the window before it is slowed down. */
  accountSlowAfter: number;
  /** The first delay once slowed; it doubles with every further failure, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long an address the account logged in from stays familiar (never slowed down). */
  knownAddressMs: number;
  /** Failed logins from one IP within the window that lock the IP. */
  ipFailures: number;
  /** Distinct usernames failing from one IP within the window: credential stuffing. */
  distinctUsernames: number;
  windowMs: number;
  lockMs: number;
}

/** OWASP suggests locking after a handful of failures for minutes, not forever (no lockout DoS). */
export const DEFAULT_LOCKOUT: LockoutPolicy = {
  accountFailures: 5,
  accountSlowAfter: 10,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  knownAddressMs: 30 * 24 * 3600_000,
  ipFailures: 20,
  distinctUsernames: 10,
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
};

const DEDUPE_MS = 60_000;

/**
 * Attempted usernames are kept hashed (in keys, and in records when no such user exists): a
 * password typed into the username box must never land in Redis, the database or the audit log.
 */
export const usernameFingerprint = (username: string) =>
  createHash('sha256').update(username.trim().toLowerCase()).digest('hex').slice(0, 24);

export class ThreatDetector {
  constructor(
    private readonly deps: {
      store: WindowStore;
      repo: SecurityThreatRepository;
      audit: AuditService;
      events: EventBus;
      logger: Logger;
      policy: LockoutPolicy;
    },
  ) {}

  /** Records a detection (once per `dedupeKey` a minute); never throws into the request. */
  async report(threat: NewThreat, dedupeKey?: string): Promise<SecurityThreat | undefined> {
    const { store, repo, audit, events, logger } = this.deps;
    try {
      if (dedupeKey) {
        const first = await store.hit(`threat:${dedupeKey}`, DEDUPE_MS, 1);
        if (!first.allowed) return undefined;
      }
      const saved = await repo.create(threat);
      events.emit('security:threat', { ...saved, createdAt: saved.createdAt.toISOString() });
      await audit.record({
        action: 'security.threat',
        resourceType: 'security',
        resourceId: saved.id,
        userId: threat.userId,
        ipAddress: threat.ipAddress,
        details: { type: threat.type, severity: threat.severity, ...threat.details },
      });
      logger.warn({ threat: threat.type, ip: threat.ipAddress }, 'security threat detected');
      return saved;
    } catch (err) {
      logger.error({ err: (err as Error).message, threat: threat.type }, 'could not record threat');
      return undefined;
    }
  }

  /**
   * Refuses a login from a locked IP (429), for an (account, IP) pair that is locked (423), or —
   * while the account is being slowed down — from an address it has not logged in from (429).
   * Every refusal carries Retry-After.
   */
  async assertLoginAllowed(username: string, ip: string): Promise<void> {
    const { store, policy } = this.deps;
    const ipLock = await store.lockedFor(`lock:ip:${ip}`);
    if (ipLock > 0) throw rateLimited(ipLock, 'Too many failed logins from this address');
    const account = usernameFingerprint(username);
    const pairLock = await store.lockedFor(`lock:pair:${account}:${ip}`);
    if (pairLock > 0) {
      const retryAfterSeconds = Math.ceil(pairLock / 1000);
      throw new AppError(
        `Account temporarily locked for this address after repeated failed logins; retry in ${retryAfterSeconds} s`,
        423,
        'ACCOUNT_LOCKED',
        { retryAfterSeconds },
      );
    }
    const slowed = await store.lockedFor(`slow:account:${account}`);
    if (slowed > 0 && !(await store.has(`known:${account}`, ip, policy.knownAddressMs))) {
      throw rateLimited(slowed, 'Too many failed logins for this account');
    }
  }

  /**
   * Counts a failed login: locks the (account, IP) pair or the IP when a threshold is crossed, and
   * past `accountSlowAfter` failures from anywhere makes the next attempt wait a doubling delay.
   */
  async loginFailed(username: string, ip: string, userId: string | null): Promise<void> {
    const { store, policy } = this.deps;
    const account = usernameFingerprint(username);
    const perPair = await store.hit(`fail:pair:${account}:${ip}`, policy.windowMs, 0);
    const perAccount = await store.hit(`fail:account:${account}`, policy.windowMs, 0);
    const perIp = await store.hit(`fail:ip:${ip}`, policy.windowMs, 0);
    const names = await store.hit(`fail:names:${ip}`, policy.windowMs, 0, account);
    // Name the account only when it exists; otherwise its fingerprint identifies the attempts.
    const named = userId ? username.slice(0, 100) : null;
    if (perPair.count >= policy.accountFailures) {
      await store.lock(`lock:pair:${account}:${ip}`, policy.lockMs);
      await store.clear(`fail:pair:${account}:${ip}`);
      await this.report({
        type: 'brute_force',
        severity: 'high',
        ipAddress: ip,
        userId,
        username: named,
        details: {
          target: 'account',
          usernameFingerprint: account,
          failures: perPair.count,
          lockedSeconds: policy.lockMs / 1000,
        },
      });
    }
    const excess = perAccount.count - policy.accountSlowAfter;
    if (excess >= 0) {
      const delayMs = Math.min(policy.baseDelayMs * 2 ** Math.min(excess, 30), policy.maxDelayMs);
      await store.lock(`slow:account:${account}`, delayMs);
      await this.report(
        {
          type: 'brute_force',
          severity: 'high',
          ipAddress: ip,
          userId,
          username: named,
          details: { target: 'account_slowed', usernameFingerprint: account, failures: perAccount.count },
        },
        `slowed:${account}`,
      );
    }
    if (names.count >= policy.distinctUsernames) {
      await this.lockIp(ip, 'credential_stuffing', { distinctUsernames: names.count });
    } else if (perIp.count >= policy.ipFailures) {
      await this.lockIp(ip, 'brute_force', { target: 'ip', failures: perIp.count });
    }
  }

  /** The pair starts afresh, and the address becomes familiar: a slowed account lets it through. */
  async loginSucceeded(username: string, ip: string): Promise<void> {
    const { store, policy } = this.deps;
    const account = usernameFingerprint(username);
    await store.clear(`fail:pair:${account}:${ip}`);
    await store.hit(`known:${account}`, policy.knownAddressMs, 0, ip);
  }

  /** Flags injection patterns in the query and body; the request goes on. */
  async inspect(request: FastifyRequest): Promise<void> {
    const findings = [...scanFields(request.query, 'query'), ...scanFields(request.body, 'body')];
    if (!findings.length) return;
    const kinds = new Set(findings.map((f) => f.kind));
    for (const kind of kinds) {
      const matching = findings.filter((f) => f.kind === kind);
      await this.report(
        {
          type: kind,
          severity: 'medium',
          ipAddress: request.ip,
          userId: request.user?.id ?? null,
          username: request.user?.username ?? null,
          details: {
            method: request.method,
            route: request.routeOptions.url,
            fields: [...new Set(matching.map((f) => f.field))],
            patterns: [...new Set(matching.map((f) => f.pattern))],
          },
        },
        `${kind}:${request.ip}:${request.routeOptions.url}`,
      );
    }
  }

  /**
   * For the task queue: records prompt-injection patterns found (by `detectPromptInjection`) in a
   * task's input, and whether the agent's `config.blockPromptInjection` refused it.
   */
  async promptInjection(found: {
    taskId: string;
    agentId: string;
    userId: string | null;
    patterns: string[];
    blocked: boolean;
  }): Promise<SecurityThreat | undefined> {
    return this.report({
      type: 'prompt_injection',
      severity: found.blocked ? 'high' : 'medium',
      ipAddress: null,
      userId: found.userId,
      username: null,
      details: {
        taskId: found.taskId,
        agentId: found.agentId,
        patterns: found.patterns,
        blocked: found.blocked,
      },
    });
  }

  /** A client over its rate limit: recorded once a minute per client. */
  async rateAnomaly(request: FastifyRequest, scope: string): Promise<void> {
    await this.report(
      {
        type: 'rate_anomaly',
        severity: 'low',
        ipAddress: request.ip,
        userId: request.user?.id ?? null,
        username: request.user?.username ?? null,
        details: { scope, route: request.routeOptions.url },
      },
      `rate:${scope}:${request.user?.id ?? request.ip}`,
    );
  }

  private async lockIp(ip: string, type: 'brute_force' | 'credential_stuffing', details: object) {
    const { store, policy } = this.deps;
    await store.lock(`lock:ip:${ip}`, policy.lockMs);
    await store.clear(`fail:ip:${ip}`);
    await store.clear(`fail:names:${ip}`);
    await this.report({
      type,
      severity: 'high',
      ipAddress: ip,
      userId: null,
      username: null,
      details: { ...details, lockedSeconds: policy.lockMs / 1000 },
    });
  }
}
