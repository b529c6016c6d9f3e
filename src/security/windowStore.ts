/**
 * Sliding-window counters and timed locks: the storage behind rate limits and lockouts. In Redis
 * (sorted sets updated by one Lua script, so concurrent nodes count exactly) when configured,
 * in-process otherwise. A Redis failure never fails a request: the store falls back to memory
 * for that call and logs once per outage.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis.js';

export interface WindowHit {
  allowed: boolean;
  /** Entries in the window after this call. */
  count: number;
  /** When refused: how long until the oldest entry leaves the window. */
  retryAfterMs: number;
}

export interface WindowStore {
  readonly backend: 'redis' | 'memory';
  /**
   * Adds `member` (default: a fresh id, i.e. count every call) to the window at `key` unless it
   * already holds `limit` entries (`limit` 0: always add). Re-adding a member refreshes it, so a
   * window of distinct members counts distinct values.
   */
  hit(key: string, windowMs: number, limit: number, member?: string): Promise<WindowHit>;
  /** Whether `member` was added to the window at `key` within the last `windowMs`. */
  has(key: string, member: string, windowMs: number): Promise<boolean>;
  lock(key: string, ms: number): Promise<void>;
  /** Milliseconds left on the lock at `key`, 0 when not locked. */
  lockedFor(key: string): Promise<number>;
  clear(key: string): Promise<void>;
}

/** Keeps at most this many keys; the oldest go first (a flood of random IPs cannot exhaust memory). */
const MAX_MEMORY_KEYS = 100_000;

export class MemoryWindowStore implements WindowStore {
  readonly backend = 'memory' as const;
  private readonly windows = new Map<string, Map<string, number>>();
  private readonly locks = new Map<string, number>();

  async hit(key: string, windowMs: number, limit: number, member = randomUUID()): Promise<WindowHit> {
    const now = Date.now();
    let entries = this.windows.get(key);
    if (!entries) {
      entries = new Map();
      this.windows.set(key, entries);
      this.evict(this.windows);
    }
    for (const [m, at] of entries) if (at <= now - windowMs) entries.delete(m);
    if (limit > 0 && entries.size >= limit && !entries.has(member)) {
      const oldest = Math.min(...entries.values());
      return { allowed: false, count: entries.size, retryAfterMs: Math.max(oldest + windowMs - now, 1) };
    }
    entries.delete(member);
    entries.set(member, now);
    return { allowed: true, count: entries.size, retryAfterMs: 0 };
  }

  async has(key: string, member: string, windowMs: number): Promise<boolean> {
    const at = this.windows.get(key)?.get(member);
    return at !== undefined && at > Date.now() - windowMs;
  }

  async lock(key: string, ms: number): Promise<void> {
    this.locks.set(key, Date.now() + ms);
    this.evict(this.locks);
  }

  async lockedFor(key: string): Promise<number> {
    const until = this.locks.get(key);
    if (until === undefined) return 0;
    const left = until - Date.now();
    if (left <= 0) this.locks.delete(key);
    return Math.max(left, 0);
  }

  async clear(key: string): Promise<void> {
    this.windows.delete(key);
    this.locks.delete(key);
  }

  private evict(map: Map<string, unknown>): void {
    if (map.size <= MAX_MEMORY_KEYS) return;
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

/**
 * KEYS[1] window; ARGV now, windowMs, limit, member. Trims entries older than the window, refuses
 * when full (answering the oldest score), else adds and sets the key to expire with the window.
 */
const HIT_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
local count = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[3])
if limit > 0 and count >= limit and not redis.call('ZSCORE', KEYS[1], ARGV[4]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, count, oldest[2]}
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, redis.call('ZCARD', KEYS[1]), '0'}
`;

export class RedisWindowStore implements WindowStore {
  readonly backend = 'redis' as const;
  private readonly fallback = new MemoryWindowStore();
  private degraded = false;

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  hit(key: string, windowMs: number, limit: number, member = randomUUID()): Promise<WindowHit> {
    return this.guarded(
      async () => {
        const now = Date.now();
        const [allowed, count, oldest] = (await this.client.eval(HIT_SCRIPT, {
          keys: [this.prefix + key],
          arguments: [String(now), String(windowMs), String(limit), member],
        })) as [number, number, string];
        const retryAfterMs = allowed ? 0 : Math.max(Number(oldest) + windowMs - now, 1);
        return { allowed: allowed === 1, count, retryAfterMs };
      },
      () => this.fallback.hit(key, windowMs, limit, member),
    );
  }

  has(key: string, member: string, windowMs: number): Promise<boolean> {
    return this.guarded(
      async () => {
        const score = await this.client.zScore(this.prefix + key, member);
        return score !== null && score > Date.now() - windowMs;
      },
      () => this.fallback.has(key, member, windowMs),
    );
  }

  lock(key: string, ms: number): Promise<void> {
    return this.guarded(
      async () => {
        await this.client.set(`${this.prefix}${key}:lock`, '1', { expiration: { type: 'PX', value: ms } });
      },
      () => this.fallback.lock(key, ms),
    );
  }

  lockedFor(key: string): Promise<number> {
    return this.guarded(
      async () => Math.max(await this.client.pTTL(`${this.prefix}${key}:lock`), 0),
      () => this.fallback.lockedFor(key),
    );
  }

  clear(key: string): Promise<void> {
    return this.guarded(
      async () => {
        await this.client.del([this.prefix + key, `${this.prefix}${key}:lock`]);
      },
      () => this.fallback.clear(key),
    );
  }

  private async guarded<T>(op: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    try {
      const result = await op();
      if (this.degraded) this.logger.info('rate limits back on Redis');
      this.degraded = false;
      return result;
    } catch (err) {
      if (!this.degraded) {
        this.logger.warn(
          { err: (err as Error).message },
          'Redis unavailable: rate limits fall back to memory',
        );
      }
      this.degraded = true;
      return fallback();
    }
  }
}
