/**
 * SPEC §9 "Redis stopping mid-run": the API keeps answering correctly from the database while its
 * Redis is gone, and uses the cache again once Redis is back — without a restart.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECOND_INVALIDATION_DELAY_MS } from '../../src/cache/cacheService.js';
import { dbTargets } from '../helpers/db.js';
import { RedisServer, redisServerInstalled, until } from '../helpers/redisServer.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe.runIf(redisServerInstalled).each(dbTargets)(
  'the API on %s when its Redis stops mid-run',
  (target) => {
    let redis: RedisServer;
    let t: TestSystem;
    beforeAll(async () => {
      redis = await RedisServer.start();
      t = await createTestSystem(target, { REDIS_URL: redis.url });
    });
    afterAll(async () => {
      await t?.close();
      await redis?.stop();
    });

    const get = (agentId: string) => t.inject(`/api/agents/${agentId}`);
    const send = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
      t.inject({ method, url, payload });

    it('serves agents from the cache while Redis is up', async () => {
      // Straight into the table: no write invalidation (and its delayed second pass) to race the reads.
      for (const agentId of ['alpha', 'beta']) {
        await t.system.repos.agents.create({ agentId, name: agentId, role: 'r', modelProvider: 'echo' });
      }
      await get('alpha');
      const hits = t.system.cache.metrics().hits;
      expect((await get('alpha')).json().name).toBe('alpha');
      expect(t.system.cache.metrics().hits).toBe(hits + 1);
      expect((await t.inject('/ready')).json()).toMatchObject({
        status: 'ready',
        checks: { database: 'ok', redis: 'ok' },
      });
    });

    it('answers every agent request correctly from the database once Redis is killed', async () => {
      await redis.stop();
      await until(() => t.system.cache.metrics().redis === 'down', 5_000);
      const errors = t.system.cache.metrics().errors;

      expect((await get('alpha')).json()).toMatchObject({ agentId: 'alpha', name: 'alpha', version: 1 });
      const patched = await send('PATCH', '/api/agents/alpha', { name: 'alpha-2' });
      expect(patched.statusCode).toBe(200);
      expect((await get('alpha')).json()).toMatchObject({ name: 'alpha-2', version: 2 });
      expect((await send('DELETE', '/api/agents/beta')).statusCode).toBe(204);
      expect((await get('beta')).statusCode).toBe(404);
      const list = (await t.inject('/api/agents')).json();
      expect(list.items.map((a: { name: string }) => a.name)).toEqual(['alpha-2']);
      const created = await send('POST', '/api/agents', {
        agentId: 'gamma',
        name: 'g',
        role: 'r',
        modelProvider: 'echo',
      });
      expect(created.statusCode).toBe(201);
      expect((await get('gamma')).statusCode).toBe(200);

      expect(t.system.cache.metrics().errors).toBeGreaterThan(errors);
      const ready = await t.inject('/ready');
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({
        status: 'degraded',
        checks: { database: 'ok', redis: 'degraded' },
      });
    });

    it('uses the cache again after Redis restarts, without restarting the API', async () => {
      // Let the second invalidation pass of the outage's writes run first, so it cannot undo the fill below.
      await new Promise((r) => setTimeout(r, SECOND_INVALIDATION_DELAY_MS + 100));
      await redis.restart();
      await until(() => t.system.cache.metrics().redis === 'up', 10_000);
      // A read fills the cache again and the next one is a hit. On a loaded machine a late
      // invalidation pass may still drop the first fill, so allow a few rounds, not a restart.
      await until(async () => {
        await get('alpha');
        const before = t.system.cache.metrics();
        const res = await get('alpha');
        expect(res.json()).toMatchObject({ name: 'alpha-2', version: 2 });
        const after = t.system.cache.metrics();
        return after.hits === before.hits + 1 && after.misses === before.misses;
      }, 10_000);
      expect((await t.inject('/ready')).json().status).toBe('ready');
      const probe = createClient({ url: redis.url });
      await probe.connect();
      try {
        expect(await probe.exists(`${t.system.config.redisPrefix}agent:by-agent-id:alpha`)).toBe(1);
      } finally {
        await probe.close();
      }
    });
  },
);
