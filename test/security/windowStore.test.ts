import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisClient } from '../../src/redis.js';
import { MemoryWindowStore, RedisWindowStore, type WindowStore } from '../../src/security/windowStore.js';
import { quietLogger, serverRedisUrl } from '../helpers/db.js';

const prefix = `bsm_test_${randomBytes(4).toString('hex')}:`;
const redis = serverRedisUrl ? createRedisClient(serverRedisUrl, quietLogger, 'test') : undefined;

async function makeStores(): Promise<Array<[string, WindowStore]>> {
  const stores: Array<[string, WindowStore]> = [['memory', new MemoryWindowStore()]];
  if (redis) {
    if (!redis.isOpen) await redis.connect();
    stores.push(['redis', new RedisWindowStore(redis, prefix, quietLogger)]);
  }
  return stores;
}

afterAll(async () => {
  if (!redis?.isOpen) return;
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*` }))
    if (keys.length) await redis.del(keys);
  await redis.quit();
});

describe('sliding-window stores', () => {
  it('admit up to the limit, then refuse with the time until the oldest entry leaves', async () => {
    for (const [name, store] of await makeStores()) {
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await store.hit('w:limit', 60_000, 3));
      expect(
        results.map((r) => r.allowed),
        name,
      ).toEqual([true, true, true, false]);
      expect(results[3].retryAfterMs, name).toBeGreaterThan(55_000);
      expect(results[3].retryAfterMs, name).toBeLessThanOrEqual(60_000);
    }
  });

  it('let entries slide out of the window', async () => {
    for (const [name, store] of await makeStores()) {
      expect((await store.hit('w:slide', 150, 1)).allowed, name).toBe(true);
      expect((await store.hit('w:slide', 150, 1)).allowed, name).toBe(false);
      await new Promise((r) => setTimeout(r, 200));
      expect((await store.hit('w:slide', 150, 1)).allowed, name).toBe(true);
    }
  });

  it('tell whether a member was added within a window', async () => {
    for (const [name, store] of await makeStores()) {
      expect(await store.has('w:has', '10.0.0.1', 60_000), name).toBe(false);
      await store.hit('w:has', 60_000, 0, '10.0.0.1');
      expect(await store.has('w:has', '10.0.0.1', 60_000), name).toBe(true);
      expect(await store.has('w:has', '10.0.0.2', 60_000), name).toBe(false);
      await new Promise((r) => setTimeout(r, 30));
      expect(await store.has('w:has', '10.0.0.1', 10), name).toBe(false);
    }
  });

  it('count distinct members once each', async () => {
    for (const [name, store] of await makeStores()) {
      for (const m of ['a', 'b', 'a', 'a', 'c']) await store.hit('w:distinct', 60_000, 0, m);
      expect((await store.hit('w:distinct', 60_000, 0, 'b')).count, name).toBe(3);
    }
  });

  it('hold a lock for its duration and clear it on demand', async () => {
    for (const [name, store] of await makeStores()) {
      expect(await store.lockedFor('w:lock'), name).toBe(0);
      await store.lock('w:lock', 30_000);
      expect(await store.lockedFor('w:lock'), name).toBeGreaterThan(29_000);
      await store.clear('w:lock');
      expect(await store.lockedFor('w:lock'), name).toBe(0);
    }
  });

  it('fall back to memory when Redis does not answer, instead of failing the request', async () => {
    const dead = createRedisClient('redis://127.0.0.1:1', quietLogger, 'dead');
    const store = new RedisWindowStore(dead, prefix, quietLogger);
    const first = await store.hit('w:dead', 60_000, 1);
    const second = await store.hit('w:dead', 60_000, 1);
    expect([first.allowed, second.allowed]).toEqual([true, false]);
    await store.lock('w:dead', 1_000);
    expect(await store.lockedFor('w:dead')).toBeGreaterThan(0);
  });
});
