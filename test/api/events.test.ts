import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTypes } from '../../src/api/routes/events.js';
import type { User } from '../../src/domain.js';
import { serverRedisUrl } from '../helpers/db.js';
import { connectSse } from '../helpers/sse.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

async function listen(t: TestSystem): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('event stream (SSE)', () => {
  let t: TestSystem;
  let base: string;
  beforeAll(async () => {
    // A guard standing in for authentication: the x-test-user header picks the caller.
    t = await createTestSystem(
      'pglite',
      {},
      {
        app: {
          guard: async (request) => {
            const id = request.headers['x-test-user'];
            if (typeof id === 'string')
              request.user = {
                id,
                role: id.startsWith('viewer') ? 'viewer' : id.startsWith('admin') ? 'admin' : 'user',
              } as User;
          },
        },
      },
    );
    base = await listen(t);
  });
  afterAll(() => t.close());

  it('streams matching events filtered by ?types= and ?taskId=', async () => {
    const client = connectSse(`${base}/api/events?types=task:completed,workflow:*&taskId=t1`);
    expect(await client.status).toBe(200);
    await sleep(50);
    t.system.events.emit('task:started', {}, { taskId: 't1' });
    t.system.events.emit('task:completed', { n: 1 }, { taskId: 't2' });
    t.system.events.emit('task:completed', { n: 2 }, { taskId: 't1' });
    t.system.events.emit('workflow:run:completed', { n: 3 }, { taskId: 't1' });
    const got = await client.waitFor(2);
    expect(got.map((e) => [e.event, JSON.parse(e.data).payload.n])).toEqual([
      ['task:completed', 2],
      ['workflow:run:completed', 3],
    ]);
    client.close();
  });

  it('shows a user only the events of their own tasks, and a viewer all of them', async () => {
    const mine = connectSse(`${base}/api/events?types=task:completed,security:threat`, {
      'x-test-user': 'u1',
    });
    const all = connectSse(`${base}/api/events?types=task:completed,security:threat`, {
      'x-test-user': 'viewer-1',
    });
    const admin = connectSse(`${base}/api/events?types=security:threat`, { 'x-test-user': 'admin-1' });
    await Promise.all([mine.status, all.status, admin.status]);
    await sleep(50);
    t.system.events.emit('task:completed', { n: 1 }, { taskId: 'a', ownerId: 'u2' });
    t.system.events.emit('task:completed', { n: 2 }, { taskId: 'b', ownerId: 'u1' });
    t.system.events.emit('task:completed', { n: 3 }, { taskId: 'c', ownerId: null });
    t.system.events.emit('security:threat', { n: 4 });
    expect((await all.waitFor(3)).map((e) => JSON.parse(e.data).payload.n)).toEqual([1, 2, 3]);
    await sleep(100);
    expect(mine.events.map((e) => JSON.parse(e.data).payload.n)).toEqual([2]);
    // Neither a user nor a viewer may read threat reports (no security:view); an admin does.
    expect(all.events.map((e) => JSON.parse(e.data).payload.n)).toEqual([1, 2, 3]);
    expect((await admin.waitFor(1)).map((e) => JSON.parse(e.data).payload.n)).toEqual([4]);
    admin.close();
    mine.close();
    all.close();
  });

  it('rejects unknown event types with 400 and cleans up when the client goes', async () => {
    expect(() => parseTypes('task:nope')).toThrow(/Unknown event type/);
    const bad = await t.inject('/api/events?types=task:nope');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_ERROR');
    await sleep(150); // streams of earlier tests finish closing
    const before = t.system.eventLog.metrics().listeners;
    const client = connectSse(`${base}/api/events`);
    await client.status;
    await sleep(50);
    expect(t.system.eventLog.metrics().listeners).toBe(before + 1);
    client.close();
    await sleep(100);
    expect(t.system.eventLog.metrics().listeners).toBe(before);
  });
});

describe.runIf(serverRedisUrl)('events across nodes (Redis)', () => {
  it('delivers an event published on one node to the other exactly once, with no echo', async () => {
    const env = {
      REDIS_URL: serverRedisUrl!,
      BSM_REDIS_PREFIX: `bsm_test_${randomBytes(4).toString('hex')}:`,
    };
    const a = await createTestSystem('pglite', env);
    const b = await createTestSystem('pglite', env);
    try {
      // The bus fans out through Redis (these two nodes even have separate databases). SSE streams
      // read the shared event log instead: across nodes see test/api/threads.test.ts.
      const seen: Array<{ type: string; nodeId: string; payload: unknown }> = [];
      b.system.events.subscribe((e) => seen.push(e), ['task:completed']);
      await sleep(100);
      a.system.events.emit('task:completed', { from: 'a' }, { taskId: 'x' });
      const until = Date.now() + 5_000;
      while (seen.length === 0 && Date.now() < until) await sleep(20);
      expect(seen[0]).toMatchObject({
        type: 'task:completed',
        nodeId: a.system.nodeId,
        payload: { from: 'a' },
      });
      await sleep(300);
      expect(seen).toHaveLength(1);
      expect(a.system.events.metrics().counts['task:completed']).toBe(1);
      expect(b.system.events.metrics().counts['task:completed']).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('event bus without Redis', () => {
  it('starts and delivers locally when the configured Redis does not answer', async () => {
    const t = await createTestSystem('pglite', { REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const seen: string[] = [];
      t.system.events.subscribe((e) => seen.push(e.type), ['task:created']);
      t.system.events.emit('task:created', {});
      t.system.events.emit('task:created', {});
      expect(seen).toEqual(['task:created', 'task:created']);
      expect((await t.inject('/api/agents')).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});
