import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_KEYS, type CacheService } from '../../src/cache/cacheService.js';
import { createCacheService } from '../../src/cache/index.js';
import { notFound } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { quietLogger, testRedisPrefix } from '../helpers/db.js';
import { freePort, useTestRedis } from '../helpers/redisServer.js';

// CI's Redis when configured, else one of our own: these suites always run on a real Redis.
const redisUrl = await useTestRedis();

const backends = [{ name: 'in-process', url: undefined as string | undefined }];
if (redisUrl) backends.push({ name: 'Redis', url: redisUrl });

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe.each(backends)('CacheService over $name', ({ url }) => {
  let cache: CacheService;
  beforeAll(async () => {
    cache = await createCacheService(
      { redisUrl: url, redisPrefix: testRedisPrefix() },
      quietLogger,
      'node-a',
    );
  });
  afterAll(async () => {
    await cache.flush();
    await cache.close();
  });

  it('loads a missing key once, then answers from the cache', async () => {
    let loads = 0;
    const loader = async () => ({ n: ++loads });
    const before = cache.metrics();
    expect(await cache.getWithFallback('svc:once', loader)).toEqual({ n: 1 });
    expect(await cache.getWithFallback('svc:once', loader)).toEqual({ n: 1 });
    expect(loads).toBe(1);
    const after = cache.metrics();
    expect(after.misses - before.misses).toBe(1);
    expect(after.hits - before.hits).toBe(1);
  });

  it('shares one load among 25 concurrent misses of the same key', async () => {
    let loads = 0;
    const gate = deferred<void>();
    const loader = async () => {
      loads++;
      await gate.promise;
      return { id: 'shared', at: 1 };
    };
    const reads = Array.from({ length: 25 }, () => cache.getWithFallback('svc:flight', loader));
    gate.resolve();
    const values = await Promise.all(reads);
    expect(loads).toBe(1);
    expect(values).toEqual(Array(25).fill({ id: 'shared', at: 1 }));
    expect(new Set(values).size).toBeGreaterThan(1); // callers do not share one mutable object
  });

  it('passes a loader error to the caller and does not cache it', async () => {
    let calls = 0;
    const loader = async () => {
      calls++;
      if (calls === 1) throw notFound('Agent', 'AGENT_NOT_FOUND');
      return 'found';
    };
    await expect(cache.getWithFallback('svc:404', loader)).rejects.toMatchObject({ statusCode: 404 });
    expect(await cache.getWithFallback('svc:404', loader)).toBe('found');
    expect(calls).toBe(2);
  });

  it('never stores a value loaded before an invalidation of its key, nor hands it to later readers', async () => {
    const gate = deferred<string>();
    const started = deferred<void>();
    let loads = 0;
    const slow = cache.getWithFallback('svc:race', () => {
      loads++;
      started.resolve();
      return gate.promise;
    });
    await started.promise; // the old row is being read…
    await cache.invalidate(['svc:race']); // a write happened while the old row was being read
    const fresh = cache.getWithFallback('svc:race', async () => {
      loads++;
      return 'new';
    });
    gate.resolve('old');
    expect(await slow).toBe('old');
    expect(await fresh).toBe('new');
    expect(await cache.getWithFallback('svc:race', async () => 'never called')).toBe('new');
    expect(loads).toBe(2);
  });

  it('invalidates every key a pattern matches and counts them', async () => {
    await cache.set(CACHE_KEYS.AGENTS_LIST, [1]);
    await cache.set(`${CACHE_KEYS.AGENTS_LIST}:active:10:0`, [2]);
    await cache.set(CACHE_KEYS.AGENT('keep-me'), { keep: true });
    const before = cache.metrics().keysInvalidated;
    await cache.invalidatePattern('agents:list*');
    expect(cache.metrics().keysInvalidated - before).toBe(2);
    expect(await cache.exists(CACHE_KEYS.AGENTS_LIST)).toBe(false);
    expect(await cache.exists(`${CACHE_KEYS.AGENTS_LIST}:active:10:0`)).toBe(false);
    expect(await cache.get(CACHE_KEYS.AGENT('keep-me'))).toEqual({ keep: true });
  });

  it('revives values read from the cache with the given function', async () => {
    const load = async () => ({ at: new Date('2026-01-02T03:04:05.678Z') });
    const revive = (raw: unknown) => ({ at: new Date((raw as { at: string }).at) });
    await cache.getWithFallback('svc:date', load, { revive });
    const cached = await cache.getWithFallback('svc:date', load, { revive });
    expect(cached.at).toBeInstanceOf(Date);
    expect(cached.at.toISOString()).toBe('2026-01-02T03:04:05.678Z');
  });
});

describe('CacheService with Redis unreachable', () => {
  it('answers every read from the loader, counts each error and logs the outage once', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger('warn', sink);
    const deadUrl = `redis://127.0.0.1:${await freePort()}`;
    const cache = await createCacheService(
      { redisUrl: deadUrl, redisPrefix: testRedisPrefix() },
      logger,
      'n',
    );
    try {
      let loads = 0;
      for (let i = 0; i < 20; i++) {
        expect(await cache.getWithFallback('k', async () => ({ loads: ++loads }))).toEqual({ loads: i + 1 });
      }
      await cache.invalidate(['k']);
      await cache.set('x', 1);
      expect(await cache.get('x')).toBeNull();
      const metrics = cache.metrics();
      expect(metrics.redis).toBe('down');
      expect(metrics.errors).toBeGreaterThanOrEqual(20);
      expect(metrics.hits).toBe(0);
      expect(lines.filter((l) => l.includes('cache unavailable')).length).toBe(1);
      await expect(cache.ping()).rejects.toThrow();
    } finally {
      await cache.close();
    }
  });
});
