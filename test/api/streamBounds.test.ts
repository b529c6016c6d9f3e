import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, injectAs, type TestCaller } from '../helpers/auth.js';
import { connectSse } from '../helpers/sse.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}

describe('live streams are bounded (SPEC §10)', () => {
  let t: TestSystem;
  let base: string;
  beforeAll(async () => {
    t = await createTestSystem('pglite', { BSM_MAX_STREAMS_PER_USER: '2' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  it('allows at most BSM_MAX_STREAMS_PER_USER open streams per user (429 in the envelope beyond)', async () => {
    const alice = await createCaller(t.system, 'user');
    const bob = await createCaller(t.system, 'user');
    const one = connectSse(`${base}/api/events`, alice.headers);
    const two = connectSse(`${base}/api/events?types=task:*`, alice.headers);
    expect([await one.status, await two.status]).toEqual([200, 200]);
    const third = await injectAs(t.app, alice)('/api/events');
    expect(third.statusCode).toBe(429);
    expect(third.json().error.code).toBe('TOO_MANY_STREAMS');
    const theirs = connectSse(`${base}/api/events`, bob.headers);
    expect(await theirs.status).toBe(200);
    one.close();
    await one.ended;
    await sleep(100);
    const again = connectSse(`${base}/api/events`, alice.headers);
    expect(await again.status).toBe(200);
    for (const c of [two, theirs, again]) c.close();
  });

  it("closes a stream within 30 s of its user's logout, and of their deactivation", async () => {
    const alice = await createCaller(t.system, 'user');
    const carol = await createCaller(t.system, 'user');
    const a = connectSse(`${base}/api/events`, alice.headers);
    const c = connectSse(`${base}/api/events`, carol.headers);
    expect([await a.status, await c.status]).toEqual([200, 200]);
    const startedAt = Date.now();
    const logout = await injectAs(t.app, alice)({ method: 'POST', url: '/api/auth/logout' });
    expect(logout.statusCode).toBeLessThan(300);
    const deactivate = await t.inject({ method: 'DELETE', url: `/api/users/${carol.user.id}` });
    expect(deactivate.statusCode).toBeLessThan(300);
    await Promise.all([a.ended, c.ended]);
    expect(Date.now() - startedAt).toBeLessThan(30_000);
  }, 40_000);

  it('drops a client that stops reading once its unsent data passes 1 MiB', async () => {
    const dave: TestCaller = await createCaller(t.system, 'user');
    const before = t.system.eventLog.metrics().listeners;
    const { port } = t.app.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    let closed = false;
    socket.on('close', () => {
      closed = true;
    });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: ${dave.headers.authorization}\r\n\r\n`,
    );
    // Read the response head, then stop reading for good.
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.pause();
    await until(() => t.system.eventLog.metrics().listeners === before + 1, 5_000);
    const pad = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 120; i++)
      t.system.events.emit('task:completed', { i, pad }, { taskId: `slow-${i}`, ownerId: dave.user.id });
    await until(() => t.system.eventLog.metrics().listeners === before, 20_000);
    // The server let go of it; the process holds no backlog for it.
    socket.resume();
    await until(() => closed, 10_000);
  }, 40_000);
});
