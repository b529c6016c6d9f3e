import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cache } from '../../src/cache/cache.js';
import { MemoryCache } from '../../src/cache/memory.js';
import { RedisCache } from '../../src/cache/redis.js';
import { quietLogger, testRedisPrefix } from '../helpers/db.js';
import { useTestRedis } from '../helpers/redisServer.js';

// CI's Redis when configured, else one of our own: these suites always run on a real Redis.
const redisUrl = await useTestRedis();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Target {
  name: string;
  make(prefix: string): Promise<Cache>;
}

const targets: Target[] = [{ name: 'memory', make: async () => new MemoryCache() }];
if (redisUrl) {
  targets.push({
    name: 'redis',
    async make(prefix) {
      const cache = new RedisCache({ url: redisUrl, prefix, logger: quietLogger });
      await cache.connect();
      return cache;
    },
  });
}

describe.each(targets)('the $name cache', ({ name, make }) => {
  let cache: Cache;
  beforeAll(async () => {
    cache = await make(testRedisPrefix());
  });
  afterAll(async () => {
    await cache.flush();
    await cache.close();
  });

  it('returns what was set as JSON, and null for a missing key', async () => {
    const value = { a: 1, list: ['x', 'y'], nested: { ok: true }, none: null };
    await cache.set('json', value);
    expect(await cache.get('json')).toEqual(value);
    expect(await cache.get('missing')).toBeNull();
    await cache.set('zero', 0);
    expect(await cache.get('zero')).toBe(0);
  });

  it('gives each reader its own copy: changing a returned value changes nothing cached', async () => {
    await cache.set('copy', { n: 1 });
    const first = await cache.get<{ n: number }>('copy');
    first!.n = 99;
    expect(await cache.get('copy')).toEqual({ n: 1 });
  });

  it('expires an entry after its TTL and keeps one with the default TTL', async () => {
    await cache.set('short', 'soon gone', 1);
    await cache.set('long', 'stays');
    expect(await cache.exists('short')).toBe(true);
    await sleep(1_100);
    expect(await cache.get('short')).toBeNull();
    expect(await cache.exists('short')).toBe(false);
    expect(await cache.get('long')).toBe('stays');
  });

  it('refuses a TTL that is not a positive whole number of seconds', async () => {
    await expect(cache.set('bad-ttl', 1, 0)).rejects.toThrow(/TTL/);
    await expect(cache.set('bad-ttl', 1, 1.5)).rejects.toThrow(/TTL/);
    expect(await cache.exists('bad-ttl')).toBe(false);
  });

  it('deletes keys and reports how many existed', async () => {
    await cache.set('d1', 1);
    await cache.set('d2', 2);
    expect(await cache.del('d1', 'd2', 'never-there')).toBe(2);
    expect(await cache.exists('d1')).toBe(false);
    expect(await cache.del()).toBe(0);
  });

  it('deletes exactly the keys a glob pattern matches (SCAN semantics)', async () => {
    for (let i = 0; i < 1_200; i++) await cache.set(`scan:item:${i}`, i);
    await cache.set('scan:other', 'kept');
    await cache.set('scanx:item:1', 'kept too');
    expect(await cache.deletePattern('scan:item:*')).toBe(1_200);
    expect(await cache.exists('scan:item:7')).toBe(false);
    expect(await cache.get('scan:other')).toBe('kept');
    expect(await cache.get('scanx:item:1')).toBe('kept too');
  });

  it.runIf(name === 'redis')('stores keys under its prefix and flushes only that prefix', async () => {
    const neighbour = await make(testRedisPrefix());
    try {
      await cache.set('shared-name', 'mine');
      await neighbour.set('shared-name', 'theirs');
      expect(await cache.get('shared-name')).toBe('mine');
      const redis = cache as RedisCache;
      expect(await redis.client.get(`${redis.prefix}shared-name`)).toBe('"mine"');
      expect(await cache.flush()).toBeGreaterThan(0);
      expect(await cache.get('shared-name')).toBeNull();
      expect(await neighbour.get('shared-name')).toBe('theirs');
    } finally {
      await neighbour.flush();
      await neighbour.close();
    }
  });

  it('flushes everything it holds', async () => {
    await cache.set('f1', 1);
    await cache.set('f2', 2);
    await cache.flush();
    expect(await cache.exists('f1')).toBe(false);
    expect(await cache.exists('f2')).toBe(false);
  });
});

describe('the in-process cache', () => {
  it('evicts the least recently used entry beyond its size bound', async () => {
    const cache = new MemoryCache({ maxEntries: 2 });
    await cache.set('a', 1);
    await cache.set('b', 2);
    await cache.get('a'); // a is now more recent than b
    await cache.set('c', 3);
    expect(await cache.exists('b')).toBe(false);
    expect(await cache.get('a')).toBe(1);
    expect(await cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });

  it('shares one revived, deep-frozen value per entry with read-only readers, until the entry changes', async () => {
    const cache = new MemoryCache();
    let revived = 0;
    const revive = (raw: unknown) => {
      revived++;
      const value = raw as { at: string; tags: string[] };
      return { ...value, at: new Date(value.at) };
    };
    expect(cache.getShared('k', revive)).toBeNull();
    await cache.set('k', { at: '2026-01-01T00:00:00.000Z', tags: ['a'], inner: { n: 1 } });
    const first = cache.getShared('k', revive);
    expect(cache.getShared('k', revive)).toBe(first);
    expect(revived).toBe(1);
    expect(first).toEqual({ at: new Date('2026-01-01T00:00:00.000Z'), tags: ['a'], inner: { n: 1 } });
    expect(Object.isFrozen(first) && Object.isFrozen(first?.tags)).toBe(true);
    expect(() => first?.tags.push('b')).toThrow(TypeError);
    expect(() => {
      (first as unknown as { inner: { n: number } }).inner.n = 2;
    }).toThrow(TypeError);
    // A plain read is still a fresh, writable copy.
    const copy = (await cache.get<{ tags: string[] }>('k'))!;
    copy.tags.push('b');
    expect(cache.getShared('k', revive)?.tags).toEqual(['a']);
    // Another reviver gets its own shape; a new value, a new object.
    expect(cache.getShared('k', (raw) => raw)).not.toBe(first);
    await cache.set('k', { at: '2026-02-01T00:00:00.000Z', tags: [] });
    const second = cache.getShared('k', revive);
    expect(second).not.toBe(first);
    expect(second?.at.toISOString()).toBe('2026-02-01T00:00:00.000Z');
    await cache.del('k');
    expect(cache.getShared('k', revive)).toBeNull();
  });

  it('caps every TTL at its maximum', async () => {
    let now = 0;
    const cache = new MemoryCache({ maxTtlSeconds: 60, now: () => now });
    await cache.set('k', 'v', 3600);
    now = 59_999;
    expect(await cache.get('k')).toBe('v');
    now = 60_000;
    expect(await cache.get('k')).toBeNull();
  });
});
