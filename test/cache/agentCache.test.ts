import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets } from '../helpers/db.js';
import { useTestRedis } from '../helpers/redisServer.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

// CI's Redis when configured, else one of our own: these suites always run on a real Redis.
const redisUrl = await useTestRedis();

const cases = dbTargets.flatMap((target) => [
  { target, cache: 'in-process', env: {} as Record<string, string> },
  ...(redisUrl ? [{ target, cache: 'Redis', env: { REDIS_URL: redisUrl } }] : []),
]);

describe.each(cases)('agent reads through the $cache cache on $target', ({ target, env }) => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await createTestSystem(target, env);
  });
  afterAll(() => t.close());

  it('reports the cache backend, and checks Redis for readiness only when it is configured', async () => {
    const redis = Boolean(env.REDIS_URL);
    expect(t.system.cache.metrics()).toMatchObject({
      backend: redis ? 'redis' : 'memory',
      redis: redis ? 'up' : 'disabled',
      errors: 0,
    });
    const ready = (await t.inject('/ready')).json();
    expect(ready.status).toBe('ready');
    expect('redis' in ready.checks).toBe(redis);
  });

  const agent = { agentId: 'cached-reviewer', name: 'Reviewer', role: 'reviews', modelProvider: 'echo' };

  it('returns a cached agent with exactly the database shape, Dates included', async () => {
    // Straight into the table: no write invalidation (and its delayed second pass) to race the reads.
    const created = await t.system.repos.agents.create({
      ...agent,
      config: { depth: 2 },
      capabilities: ['a'],
    });
    const fromDb = await t.system.repos.agents.findByAgentId(agent.agentId);
    const before = t.system.cache.metrics();
    const first = await t.system.agents.get(agent.agentId); // miss → database → cache
    const second = await t.system.agents.get(agent.agentId); // hit
    const byId = await t.system.agents.getById(created.id);
    const byIdAgain = await t.system.agents.getById(created.id);
    for (const read of [first, second, byId, byIdAgain]) {
      expect(read).toEqual(fromDb);
      expect(read.createdAt).toBeInstanceOf(Date);
      expect(read.updatedAt.getTime()).toBe(fromDb.updatedAt.getTime());
    }
    const after = t.system.cache.metrics();
    expect(after.hits - before.hits).toBe(2);
    expect(after.misses - before.misses).toBe(2);
    // A hit is one read-only object for every reader (no parse per read), never the database's.
    expect(await t.system.agents.get(agent.agentId)).toBe(second);
    expect(Object.isFrozen(second) && Object.isFrozen(second.capabilities)).toBe(true);
    expect(Object.isFrozen(first)).toBe(false);
  });

  it('serves the first page of the list from the cache with revived items', async () => {
    const fromDb = await t.system.repos.agents.findAll({});
    await t.system.agents.list();
    const hitsBefore = t.system.cache.metrics().hits;
    const cached = await t.system.agents.list();
    expect(t.system.cache.metrics().hits).toBe(hitsBefore + 1);
    expect(cached).toEqual(fromDb);
    expect(cached.items[0].createdAt).toBeInstanceOf(Date);
  });

  it('shows an update at once, by agentId, by id and in every cached list', async () => {
    const { id } = await t.system.agents.get(agent.agentId);
    await t.system.agents.list({ status: 'active', limit: 10 });
    await t.system.agents.update(agent.agentId, { name: 'Renamed', status: 'inactive' });
    expect((await t.system.agents.get(agent.agentId)).name).toBe('Renamed');
    expect((await t.system.agents.getById(id)).version).toBe(2);
    expect((await t.system.agents.list()).items.find((a) => a.id === id)?.name).toBe('Renamed');
    expect((await t.system.agents.list({ status: 'active', limit: 10 })).total).toBe(0);
    expect(t.system.cache.metrics().keysInvalidated).toBeGreaterThan(0);
  });

  it('answers 404 after a delete, and lists a created agent at once, over HTTP', async () => {
    const res = await t.inject({ method: 'DELETE', url: `/api/agents/${agent.agentId}` });
    expect(res.statusCode).toBe(204);
    const gone = await t.inject(`/api/agents/${agent.agentId}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('AGENT_NOT_FOUND');
    expect((await t.inject('/api/agents')).json().total).toBe(0);
    const created = await t.inject({ method: 'POST', url: '/api/agents', payload: agent });
    expect(created.statusCode).toBe(201);
    expect((await t.inject('/api/agents')).json().items.map((a: { agentId: string }) => a.agentId)).toEqual([
      agent.agentId,
    ]);
    const fetched = await t.inject(`/api/agents/${agent.agentId}`);
    expect(fetched.json()).toEqual(created.json());
  });
});
