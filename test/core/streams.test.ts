import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provider } from '../../src/core/providers/types.js';
import { EventLog, type LoggedEvent } from '../../src/core/streams/eventLog.js';
import { createLogger } from '../../src/logger.js';
import { createCaller, injectAs, type TestCaller } from '../helpers/auth.js';
import { dbTargets } from '../helpers/db.js';
import { connectSse, type SseEvent } from '../helpers/sse.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

/** Streams "partial answer" then fails on its first attempt; streams the full answer on the next. */
class FlakyStreamer implements Provider {
  readonly name = 'flaky';
  readonly needsApiKey = false;
  async run(_input: unknown, ctx: Parameters<Provider['run']>[1]) {
    const first = ctx.task.retryCount === 0;
    const words = first ? ['partial', ' answer'] : ['the', ' real', ' answer'];
    for (const w of words) ctx.stream?.delta(w);
    if (first) throw new Error('model dropped the connection');
    return { text: 'the real answer', usage: { promptTokens: 1, completionTokens: 3, totalTokens: 4 } };
  }
}

describe.each(dbTargets)('streams and retention on %s', (target) => {
  let t: TestSystem;
  let base: string;
  let alice: TestCaller;
  beforeAll(async () => {
    t = await createTestSystem(
      target,
      { BSM_POLL_INTERVAL_MS: '50', BSM_THREAD_TTL_DAYS: '1' },
      {
        queue: { backoff: { delayMs: () => 20 } },
      },
    );
    t.system.providers.register(new FlakyStreamer());
    await t.system.queue.start();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    alice = await createCaller(t.system, 'user');
    for (const [agentId, modelProvider] of [
      ['flaky', 'flaky'],
      ['echo', 'echo'],
    ]) {
      const res = await t.inject({
        method: 'POST',
        url: '/api/agents',
        payload: { agentId, name: agentId, role: 'r', modelProvider },
      });
      expect(res.statusCode).toBe(201);
    }
  });
  afterAll(() => t.close());

  it('a retry sends task:retry and the next attempt numbers its deltas from 1 again', async () => {
    const res = await injectAs(
      t.app,
      alice,
    )({
      method: 'POST',
      url: '/api/tasks',
      payload: { agentId: 'flaky', input: { prompt: 'go' }, maxRetries: 1 },
    });
    const client = connectSse(`${base}/api/tasks/${res.json().taskId}/stream`, alice.headers);
    await client.ended;
    const kinds = client.events.map((e: SseEvent) =>
      e.event === 'task:delta' ? `${JSON.parse(e.data).attempt}.${JSON.parse(e.data).seq}` : e.event,
    );
    expect(kinds.filter((k) => k !== 'agent:execution:started')).toEqual([
      'task:created',
      'task:started',
      '1.1',
      '1.2',
      'task:retry',
      'task:started',
      '2.1',
      '2.2',
      '2.3',
      'task:completed',
    ]);
    const final = client.events
      .filter((e) => e.event === 'task:delta' && JSON.parse(e.data).attempt === 2)
      .map((e) => JSON.parse(e.data).text)
      .join('');
    const task = (await injectAs(t.app, alice)(`/api/tasks/${res.json().taskId}`)).json();
    expect(final).toBe(task.output.text);
  });

  it('forgets events past the retention window; resuming from one of them is a stream:reset', async () => {
    const res = await injectAs(
      t.app,
      alice,
    )({
      method: 'POST',
      url: '/api/tasks',
      payload: { agentId: 'echo', input: { prompt: 'old news' } },
    });
    const { taskId } = res.json();
    const first = connectSse(`${base}/api/tasks/${taskId}/stream`, alice.headers);
    await first.ended;
    const oldId = first.events[1].id!;
    await t.system.eventLog.flush();
    // Everything up to the event after it grows old (rows age in `seq` order): resuming after
    // oldId would now miss oldId + 1.
    await t.system.db.query(
      `UPDATE event_log SET created_at = created_at - interval '2 hours' WHERE seq <= $1`,
      [Number(oldId) + 1],
    );
    expect(await t.system.eventLog.sweep()).toBeGreaterThanOrEqual(2);
    t.system.events.emit('task:completed', { note: 'kept' }, { taskId: 'other', ownerId: alice.user.id });
    await t.system.eventLog.flush();
    const resumed = connectSse(`${base}/api/events`, { ...alice.headers, 'last-event-id': oldId });
    await resumed.waitFor(2);
    expect(resumed.events[0].event).toBe('stream:reset');
    // Then everything kept that alice may see, from the oldest: the rest of her task, then the note.
    const until = Date.now() + 5_000;
    while (!resumed.events.some((e) => e.data.includes('"kept"')) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const replayed = resumed.events.slice(1).map((e) => JSON.parse(e.data));
    expect(replayed.at(-1).payload).toEqual({ note: 'kept' });
    expect(replayed.slice(0, -1).every((e: { taskId: string }) => e.taskId === taskId)).toBe(true);
    expect(replayed.slice(0, -1).map((e: { type: string }) => e.type)).toContain('task:completed');
    const ids = replayed.map((e: { id: string }) => Number(e.id));
    expect(ids[0]).toBeGreaterThan(Number(oldId) + 1);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    resumed.close();
  });

  it('a node nobody streams from follows the log end from NOTIFY payloads, without a query per batch', async () => {
    let boundsReads = 0;
    const counted = new Proxy(t.system.db, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver);
        return (sql: string, ...rest: unknown[]) => {
          if (sql.includes('min(seq)')) boundsReads += 1;
          return (target.query as (...a: unknown[]) => unknown)(sql, ...rest);
        };
      },
    });
    const other = new EventLog(counted, 'other-node', createLogger('silent'), { retentionSeconds: 3600 });
    await other.start();
    try {
      expect(boundsReads).toBe(1);
      for (let i = 0; i < 20; i++) {
        t.system.events.emit('task:completed', { i }, { taskId: `quiet-${i}`, ownerId: alice.user.id });
        await t.system.eventLog.flush();
      }
      await new Promise((r) => setTimeout(r, 200));
      expect(boundsReads).toBe(1);
      // Its position followed the end: a live subscriber gets the next event, none of the 20.
      const seen: LoggedEvent[] = [];
      const sub = other.subscribe((e) => seen.push(e));
      t.system.events.emit('task:completed', { i: 'next' }, { taskId: 'quiet-next', ownerId: alice.user.id });
      await t.system.eventLog.flush();
      const until = Date.now() + 5_000;
      while (seen.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      sub.unsubscribe();
      expect(seen.map((e) => e.taskId)).toEqual(['quiet-next']);
    } finally {
      await other.stop();
    }
  });

  it('deletes threads idle longer than BSM_THREAD_TTL_DAYS, keeping recent ones', async () => {
    const make = async () =>
      (
        await injectAs(t.app, alice)({ method: 'POST', url: '/api/threads', payload: { agentId: 'echo' } })
      ).json().threadId as string;
    const old = await make();
    const recent = await make();
    await t.system.db.query(`UPDATE threads SET updated_at = updated_at - interval '2 days' WHERE id = $1`, [
      old,
    ]);
    expect(await t.system.threads.sweep()).toBe(1);
    expect((await injectAs(t.app, alice)(`/api/threads/${old}`)).statusCode).toBe(404);
    expect((await injectAs(t.app, alice)(`/api/threads/${recent}`)).statusCode).toBe(200);
  });
});
