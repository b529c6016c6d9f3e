/**
 * The cache as the rest of the system uses it (the seed's CacheService): its keys, its TTL tiers,
 * cache-aside reads, and invalidation — and the rule that a cache failure never fails a request.
 *
 * Tiers: with Redis, each node keeps a short-lived in-process near-cache (`local`) in front of the
 * shared Redis cache; writes delete from both and tell every other node to drop its near-cache
 * copies over pub/sub. Without Redis, the in-process LRU is the only tier.
 */
import type { Logger } from '../logger.js';
import { type Cache, globToRegExp } from './cache.js';
import type { InvalidationMessage, RedisInvalidationChannel } from './invalidation.js';
import type { MemoryCache } from './memory.js';

/** The seed's keys (relative: the store adds the deployment prefix). */
export const CACHE_KEYS = {
  AGENT: (id: string) => `agent:${id}`,
  /** Agents are also read by their human handle; `:` never occurs in a UUID or an agentId. */
  AGENT_BY_AGENT_ID: (agentId: string) => `agent:by-agent-id:${agentId}`,
  AGENTS_LIST: 'agents:list',
  TASK: (id: string) => `task:${id}`,
  USER: (id: string) => `user:${id}`,
  METRICS: (type: string) => `metrics:${type}`,
} as const;

/** The seed's TTL tiers, in seconds. */
export const CACHE_TTL = { SHORT: 300, MEDIUM: 1800, LONG: 3600, DAY: 86400 } as const;

/** With Redis, near-cache copies live at most this long (seconds): a bound if a message is lost. */
export const NEAR_CACHE_TTL_SECONDS = 60;

/**
 * After a write, the shared keys are deleted (and other nodes told) once more after this delay:
 * a reader that loaded the old row just before the write and stored it just after is undone.
 */
export const SECOND_INVALIDATION_DELAY_MS = 1_000;

export interface CacheMetrics {
  backend: 'redis' | 'memory';
  /** `disabled` without REDIS_URL. */
  redis: 'up' | 'down' | 'disabled';
  hits: number;
  /** Of the hits, those answered by this node's near-cache without asking Redis. */
  localHits: number;
  misses: number;
  /** Concurrent misses that waited for another caller's load instead of loading again. */
  coalesced: number;
  errors: number;
  keysInvalidated: number;
  localEntries: number;
}

export interface CacheServiceOptions {
  logger: Logger;
  nodeId: string;
  /** The in-process tier: the near-cache with Redis, the whole cache without. */
  local: MemoryCache;
  /** Redis, when configured. */
  shared?: Cache;
  channel?: RedisInvalidationChannel;
}

export interface ReadOptions<T> {
  ttl?: number;
  /** Rebuilds what JSON loses (Dates) so a cached value has the loader's shape. */
  revive?: (raw: unknown) => T;
  /**
   * The caller only reads what it gets: a near-cache hit may then hand every caller one
   * deep-frozen object (MemoryCache.getShared) instead of a fresh parse and revive per read.
   */
  readOnly?: boolean;
}

interface Flight {
  promise: Promise<Filled>;
  /** Set when the key was invalidated while loading: the result must not be stored. */
  stale: boolean;
}

/** `value` is the loader's own object (exact shape); a Redis hit has only its JSON. */
interface Filled {
  fromLoader: boolean;
  value: unknown;
  json: string;
}

interface Pending {
  keys: string[];
  patterns: string[];
}

export class CacheService {
  private readonly logger: Logger;
  private readonly local: MemoryCache;
  private readonly shared?: Cache;
  private readonly channel?: RedisInvalidationChannel;
  private readonly flights = new Map<string, Flight>();
  /** Invalidations Redis missed during an outage, replayed before Redis is read again. */
  private pending: Pending | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private outage = false;
  private readonly counts = { hits: 0, localHits: 0, misses: 0, coalesced: 0, errors: 0, keysInvalidated: 0 };

  constructor(private readonly options: CacheServiceOptions) {
    this.logger = options.logger;
    this.local = options.local;
    this.shared = options.shared;
    this.channel = options.channel;
  }

  async start(): Promise<void> {
    await this.channel?.start({
      // Our own messages come back too; this node already applied them when it sent them.
      onMessage: (message) => {
        if (message.nodeId !== this.options.nodeId) void this.dropLocal(message.keys, message.patterns);
      },
      onResync: () => {
        // Messages may have been missed while unsubscribed: no near-cache copy can be trusted.
        this.flights.forEach((flight) => {
          flight.stale = true;
        });
        this.flights.clear();
        void this.local.flush();
      },
    });
  }

  // ---- plain operations (never throw) ---------------------------------------------------------

  async get<T>(key: string, revive?: (raw: unknown) => T): Promise<T | null> {
    const raw = await this.read(key);
    if (raw === null) {
      this.counts.misses++;
      return null;
    }
    this.counts.hits++;
    return revive ? revive(raw) : (raw as T);
  }

  async set(key: string, value: unknown, ttl: number = CACHE_TTL.LONG): Promise<void> {
    await this.store(key, value, ttl);
  }

  async del(...keys: string[]): Promise<void> {
    await this.invalidate(keys);
  }

  async exists(key: string): Promise<boolean> {
    if (this.localUsable && (await this.local.exists(key))) return true;
    if (!this.shared) return false;
    return this.safe(() => this.shared!.exists(key), false, 'exists');
  }

  /** Removes this deployment's keys only (SCAN + UNLINK under the prefix). */
  async flush(): Promise<void> {
    await this.invalidate([], ['*']);
  }

  // ---- the seed's helpers ------------------------------------------------------------------------

  getAgent<T>(id: string, revive?: (raw: unknown) => T): Promise<T | null> {
    return this.get(CACHE_KEYS.AGENT(id), revive);
  }

  setAgent(id: string, agent: unknown, ttl: number = CACHE_TTL.MEDIUM): Promise<void> {
    return this.set(CACHE_KEYS.AGENT(id), agent, ttl);
  }

  /** Every key that can hold this agent, and every cached list. */
  invalidateAgent(agent: { id: string; agentId: string }): Promise<void> {
    return this.invalidate(
      [CACHE_KEYS.AGENT(agent.id), CACHE_KEYS.AGENT_BY_AGENT_ID(agent.agentId), CACHE_KEYS.AGENTS_LIST],
      [`${CACHE_KEYS.AGENTS_LIST}:*`],
    );
  }

  invalidatePattern(pattern: string): Promise<void> {
    return this.invalidate([], [pattern]);
  }

  /**
   * Cache-aside: the cached value, or `loader()`'s, stored for next time. Concurrent misses of one
   * key share one load. A loader error (404, database down) reaches the caller and is not cached.
   */
  async getWithFallback<T>(key: string, loader: () => Promise<T>, options: ReadOptions<T> = {}): Promise<T> {
    const revive = options.revive ?? ((raw: unknown) => raw as T);
    if (this.localUsable) {
      const hit = options.readOnly
        ? this.local.getShared(key, revive)
        : await this.local.get(key).then((raw) => (raw === null ? null : revive(raw)));
      if (hit !== null) {
        this.counts.hits++;
        this.counts.localHits++;
        return hit;
      }
    }
    const inFlight = this.flights.get(key);
    if (inFlight) {
      this.counts.coalesced++;
      return revive(JSON.parse((await inFlight.promise).json));
    }
    const flight = { stale: false } as Flight;
    flight.promise = this.fill(key, flight, loader, options.ttl ?? CACHE_TTL.MEDIUM);
    this.flights.set(key, flight);
    try {
      const filled = await flight.promise;
      return filled.fromLoader ? (filled.value as T) : revive(JSON.parse(filled.json));
    } finally {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    }
  }

  private async fill<T>(key: string, flight: Flight, loader: () => Promise<T>, ttl: number): Promise<Filled> {
    if (this.shared && (await this.sharedReadable())) {
      const raw = await this.safe(() => this.shared!.get(key), null, 'get');
      if (raw !== null) {
        this.counts.hits++;
        if (this.localUsable && !flight.stale) await this.local.set(key, raw, ttl);
        return { fromLoader: false, value: raw, json: JSON.stringify(raw) };
      }
    }
    this.counts.misses++;
    const value = await loader();
    const json = JSON.stringify(value);
    if (!flight.stale) await this.store(key, value, ttl);
    return { fromLoader: true, value, json };
  }

  // ---- invalidation ------------------------------------------------------------------------------

  /**
   * Drops keys (and glob patterns) from every tier on every node: this node's near-cache and loads
   * in flight, Redis, and — by a message — the other nodes' near-caches. Repeated once after
   * SECOND_INVALIDATION_DELAY_MS against a concurrent reader storing what it loaded before.
   */
  async invalidate(keys: string[], patterns: string[] = []): Promise<void> {
    const localRemoved = await this.dropLocal(keys, patterns);
    if (!this.shared) {
      this.counts.keysInvalidated += localRemoved;
      return;
    }
    await this.invalidateShared({ keys, patterns });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.dropLocal(keys, patterns).then(() => this.invalidateShared({ keys, patterns }, false));
    }, SECOND_INVALIDATION_DELAY_MS);
    timer.unref();
    this.timers.add(timer);
  }

  private async dropLocal(keys: string[], patterns: string[]): Promise<number> {
    const regexps = patterns.map(globToRegExp);
    for (const [key, flight] of this.flights) {
      if (keys.includes(key) || regexps.some((re) => re.test(key))) {
        flight.stale = true;
        this.flights.delete(key);
      }
    }
    let removed = await this.local.del(...keys);
    for (const pattern of patterns) removed += await this.local.deletePattern(pattern);
    return removed;
  }

  private async invalidateShared(target: Pending, count = true): Promise<boolean> {
    try {
      let removed = target.keys.length ? await this.shared!.del(...target.keys) : 0;
      for (const pattern of target.patterns) removed += await this.shared!.deletePattern(pattern);
      if (count) this.counts.keysInvalidated += removed;
      await this.channel?.publish({ nodeId: this.options.nodeId, ...target } satisfies InvalidationMessage);
      this.recovered();
      return true;
    } catch (error) {
      this.failed(error, 'invalidate');
      this.remember(target);
      return false;
    }
  }

  /** Keeps what Redis missed; past 1 000 entries, flushing the prefix is simpler and as correct. */
  private remember(target: Pending): void {
    const p = this.pending ?? { keys: [], patterns: [] };
    p.keys.push(...target.keys.filter((k) => !p.keys.includes(k)));
    p.patterns.push(...target.patterns.filter((k) => !p.patterns.includes(k)));
    this.pending = p.keys.length + p.patterns.length > 1_000 ? { keys: [], patterns: ['*'] } : p;
  }

  /** Redis may be read only once the invalidations it missed are applied. */
  private async sharedReadable(): Promise<boolean> {
    if (!this.pending) return true;
    if (!this.shared?.available) return false;
    const target = this.pending;
    this.pending = undefined;
    return this.invalidateShared(target);
  }

  // ---- failure handling --------------------------------------------------------------------------

  /** The near-cache is trusted only while invalidations from other nodes can reach it. */
  private get localUsable(): boolean {
    if (!this.shared) return true;
    return this.shared.available && (this.channel?.connected ?? true) && !this.pending;
  }

  private async read(key: string): Promise<unknown> {
    if (this.localUsable) {
      const raw = await this.local.get(key);
      if (raw !== null) {
        this.counts.localHits++;
        return raw;
      }
    }
    if (!this.shared || !(await this.sharedReadable())) return null;
    return this.safe(() => this.shared!.get(key), null, 'get');
  }

  private async store(key: string, value: unknown, ttl: number): Promise<void> {
    if (value === undefined) return;
    if (this.localUsable) await this.local.set(key, value, ttl);
    if (this.shared) await this.safe(() => this.shared!.set(key, value, ttl), undefined, 'set');
  }

  private async safe<T>(op: () => Promise<T>, fallback: T, what: string): Promise<T> {
    try {
      const result = await op();
      this.recovered();
      return result;
    } catch (error) {
      this.failed(error, what);
      return fallback;
    }
  }

  /** Counted every time, logged once per outage. */
  private failed(error: unknown, op: string): void {
    this.counts.errors++;
    if (this.outage) return;
    this.outage = true;
    this.logger.warn(
      { err: (error as Error).message, op },
      'cache unavailable: serving from the database until it answers again',
    );
  }

  private recovered(): void {
    if (!this.outage) return;
    this.outage = false;
    this.logger.info('cache available again');
  }

  // ---- observability and lifecycle ---------------------------------------------------------------

  metrics(): CacheMetrics {
    return {
      backend: this.shared ? 'redis' : 'memory',
      redis: this.shared ? (this.shared.available ? 'up' : 'down') : 'disabled',
      ...this.counts,
      localEntries: this.local.size,
    };
  }

  /** Readiness: throws while Redis does not answer. */
  async ping(): Promise<void> {
    await this.shared?.ping();
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.channel?.close();
    await this.shared?.close();
    await this.local.close();
  }
}
