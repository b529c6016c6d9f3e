import { type Cache, DEFAULT_TTL_SECONDS, globToRegExp, serialize, ttlOrDefault } from './cache.js';

export interface MemoryCacheOptions {
  /** Most entries kept; the least recently used goes first (default 10 000). */
  maxEntries?: number;
  /** Upper bound on any entry's TTL in seconds (the near-cache tier uses it to stay short-lived). */
  maxTtlSeconds?: number;
  /** Injectable clock (ms) for tests of expiry. */
  now?: () => number;
}

interface Entry {
  /** The JSON text: `get` gives callers a fresh copy on every read, as from Redis. */
  json: string;
  expiresAt: number;
  /** `getShared`'s value, revived once by `sharedBy`, deep-frozen. */
  shared?: unknown;
  sharedBy?: (raw: unknown) => unknown;
}

/** Freezes a JSON-shaped value (and Dates a reviver put in it) all the way down. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * The in-process cache: an LRU over a Map (insertion order = recency; a hit re-inserts) with a
 * per-entry TTL checked on read. Used alone without `REDIS_URL`, and as each node's near-cache in
 * front of Redis.
 */
export class MemoryCache implements Cache {
  readonly kind = 'memory' as const;
  readonly available = true;
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly maxTtlSeconds: number;
  private readonly now: () => number;

  constructor(options: MemoryCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxTtlSeconds = options.maxTtlSeconds ?? Number.POSITIVE_INFINITY;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  async get<T = unknown>(key: string): Promise<T | null> {
    const entry = this.hit(key);
    return entry ? (JSON.parse(entry.json) as T) : null;
  }

  /**
   * The entry revived once and deep-frozen: the same read-only object to every caller until the
   * entry is replaced, dropped or expires — no parse, no revive and no garbage per hit, for readers
   * that never modify what they read (a modification throws). Synchronous: nothing to wait for.
   */
  getShared<T>(key: string, revive: (raw: unknown) => T): T | null {
    const entry = this.hit(key);
    if (!entry) return null;
    if (entry.sharedBy !== revive) {
      entry.shared = deepFreeze(revive(JSON.parse(entry.json)));
      entry.sharedBy = revive;
    }
    return entry.shared as T;
  }

  async set(key: string, value: unknown, ttlSeconds: number = DEFAULT_TTL_SECONDS): Promise<void> {
    const ttl = Math.min(ttlOrDefault(ttlSeconds), this.maxTtlSeconds);
    const json = serialize(key, value);
    this.entries.delete(key);
    this.entries.set(key, { json, expiresAt: this.now() + ttl * 1000 });
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  async del(...keys: string[]): Promise<number> {
    let removed = 0;
    for (const key of keys) {
      if (this.live(key)) removed++;
      this.entries.delete(key);
    }
    return removed;
  }

  async exists(key: string): Promise<boolean> {
    return this.live(key) !== undefined;
  }

  async deletePattern(pattern: string): Promise<number> {
    const re = globToRegExp(pattern);
    let removed = 0;
    for (const key of [...this.entries.keys()]) {
      if (!re.test(key)) continue;
      if (this.live(key)) removed++;
      this.entries.delete(key);
    }
    return removed;
  }

  async flush(): Promise<number> {
    let removed = 0;
    for (const key of [...this.entries.keys()]) if (this.live(key)) removed++;
    this.entries.clear();
    return removed;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.entries.clear();
  }

  /** A read: the live entry, made the most recently used. */
  private hit(key: string): Entry | undefined {
    const entry = this.live(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** The entry if present and unexpired; an expired one is dropped on the way. */
  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
