import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { CacheService, NEAR_CACHE_TTL_SECONDS } from './cacheService.js';
import { RedisInvalidationChannel } from './invalidation.js';
import { MemoryCache } from './memory.js';
import { RedisCache } from './redis.js';

export type { Cache } from './cache.js';
export { CACHE_KEYS, CACHE_TTL, type CacheMetrics, CacheService } from './cacheService.js';
export { MemoryCache } from './memory.js';
export { RedisCache } from './redis.js';

export interface CacheServiceSettings {
  /** Without Redis, the in-process LRU's size bound. */
  maxLocalEntries?: number;
  /** Turn the per-node near-cache in front of Redis off (benchmarks compare the two). */
  nearCache?: boolean;
}

/**
 * `REDIS_URL` picks Redis (with a per-node near-cache and pub/sub invalidation); otherwise the
 * in-process LRU. Never fails because Redis is down: the cache joins when Redis answers.
 */
export async function createCacheService(
  config: Pick<Config, 'redisUrl' | 'redisPrefix'>,
  logger: Logger,
  nodeId: string,
  settings: CacheServiceSettings = {},
): Promise<CacheService> {
  if (!config.redisUrl) {
    const local = new MemoryCache({ maxEntries: settings.maxLocalEntries });
    return new CacheService({ logger, nodeId, local });
  }
  const shared = new RedisCache({ url: config.redisUrl, prefix: config.redisPrefix, logger });
  const channel = new RedisInvalidationChannel(config.redisUrl, config.redisPrefix, shared.client, logger);
  const local = new MemoryCache({
    maxEntries: settings.nearCache === false ? 0 : (settings.maxLocalEntries ?? 10_000),
    maxTtlSeconds: NEAR_CACHE_TTL_SECONDS,
  });
  const service = new CacheService({ logger, nodeId, local, shared, channel });
  await Promise.all([shared.connect(), service.start()]);
  return service;
}
