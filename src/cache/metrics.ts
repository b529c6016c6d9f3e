import type { MetricsRegistry } from '../metrics.js';
import type { CacheService } from './cacheService.js';

/** The cache's series in `/metrics` (see src/metrics.ts): this node's running totals. */
export function registerCacheMetrics(m: MetricsRegistry, cache: CacheService): void {
  const counters = [
    ['hits', 'bsm_cache_hits_total', 'Reads answered from the cache (near-cache or Redis)'],
    ['localHits', 'bsm_cache_local_hits_total', "Of the hits, those answered by this node's near-cache"],
    ['misses', 'bsm_cache_misses_total', 'Reads that had to load from the database'],
    ['coalesced', 'bsm_cache_coalesced_total', "Concurrent misses that waited for another caller's load"],
    ['errors', 'bsm_cache_errors_total', 'Cache operations that failed (the read fell back to the database)'],
    ['keysInvalidated', 'bsm_cache_keys_invalidated_total', 'Keys this node removed on invalidation'],
  ] as const;
  for (const [field, name, help] of counters) m.counterFrom(name, help, () => cache.metrics()[field]);
  m.gauge({
    name: 'bsm_cache_local_entries',
    help: "Entries in this node's near-cache",
    collect() {
      this.set(cache.metrics().localEntries);
    },
  });
  m.gauge({
    name: 'bsm_cache_redis_up',
    help: '1 while Redis answers, 0 while it is down; absent without REDIS_URL',
    collect() {
      const { redis } = cache.metrics();
      this.reset();
      if (redis !== 'disabled') this.set(redis === 'up' ? 1 : 0);
    },
  });
}
