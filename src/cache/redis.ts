import type { Logger } from '../logger.js';
import { closeRedisClient, connectWithin, createRedisClient, type RedisClient } from '../redis.js';
import { type Cache, DEFAULT_TTL_SECONDS, serialize, ttlOrDefault } from './cache.js';

export interface RedisCacheOptions {
  url: string;
  /** Every key is stored as `prefix + key` (config.redisPrefix, default `bsm:`). */
  prefix: string;
  logger: Logger;
  /** A command not answered within this time fails (a black-holed network must not hang requests). */
  commandTimeoutMs?: number;
}

/** Keys per SCAN step and per UNLINK call: small enough not to block Redis, large enough to be quick. */
const SCAN_COUNT = 500;

/**
 * The cache in Redis, over `createRedisClient` (the seed's reconnect strategy, no offline queue):
 * while Redis is down every call rejects at once, and the client reconnects in the background.
 */
export class RedisCache implements Cache {
  readonly kind = 'redis' as const;
  readonly client: RedisClient;
  readonly prefix: string;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(options: RedisCacheOptions) {
    this.prefix = options.prefix;
    this.timeoutMs = options.commandTimeoutMs ?? 1_000;
    this.client = createRedisClient(options.url, options.logger, 'cache');
  }

  /**
   * Starts connecting and waits up to `waitMs` for the first connection. A Redis that is down at
   * start does not stop the process: the client keeps trying and the cache joins when it answers.
   */
  async connect(waitMs = 2_000): Promise<void> {
    await connectWithin(this.client, waitMs);
  }

  get available(): boolean {
    return !this.closed && this.client.isReady;
  }

  async get<T = unknown>(key: string): Promise<T | null> {
    const json = await this.run(this.client.get(this.prefix + key));
    return json === null ? null : (JSON.parse(json) as T);
  }

  async set(key: string, value: unknown, ttlSeconds: number = DEFAULT_TTL_SECONDS): Promise<void> {
    const ttl = ttlOrDefault(ttlSeconds);
    await this.run(
      this.client.set(this.prefix + key, serialize(key, value), { expiration: { type: 'EX', value: ttl } }),
    );
  }

  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return this.run(this.client.unlink(keys.map((k) => this.prefix + k)));
  }

  async exists(key: string): Promise<boolean> {
    return (await this.run(this.client.exists(this.prefix + key))) === 1;
  }

  /** SCAN (never KEYS, which blocks Redis) under the prefix, UNLINKing each batch as it comes. */
  async deletePattern(pattern: string): Promise<number> {
    let removed = 0;
    const match = this.prefix + pattern;
    for await (const batch of this.client.scanIterator({ MATCH: match, COUNT: SCAN_COUNT })) {
      if (batch.length) removed += await this.run(this.client.unlink(batch));
    }
    return removed;
  }

  /** Only this deployment's keys: the seed's FLUSHALL would wipe every tenant of a shared Redis. */
  flush(): Promise<number> {
    return this.deletePattern('*');
  }

  async ping(): Promise<void> {
    await this.run(this.client.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeRedisClient(this.client);
  }

  private run<T>(command: Promise<T>): Promise<T> {
    return withTimeout(command, this.timeoutMs);
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
