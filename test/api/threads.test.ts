import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, lastUserText, startHarness } from '../e2e/harness.js';
import { createCaller, injectAs, type TestCaller } from '../helpers/auth.js';
import { dbTargets, serverRedisUrl } from '../helpers/db.js';
import { connectSse, type SseEvent } from '../helpers/sse.js';

interface TaskJson {
  taskId: string;
  status: string;
  threadId: string | null;
  type: string;
  output: { text: string } | null;
  startedAt: string | null;
  completedAt: string | null;
}

const deltas = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === 'task:delta')
    .map((e) => JSON.parse(e.data) as { seq: number; text: string; attempt: number });

/**
 * Submits a 20-word `slow-echo` task, reads its stream on `from` until 6 events arrived, drops the
 * connection and resumes on `to` with the last id seen as Last-Event-ID, to the end.
 */
async function dropAndResume(
  inject: ReturnType<typeof injectAs>,
  headers: Record<string, string>,
  from: string,
  to: string,
  word: string,
) {
  const words = Array.from({ length: 20 }, (_, i) => `${word}${i}`).join(' ');
  const res = await inject({
    method: 'POST',
    url: '/api/tasks',
    payload: { agentId: 'slow-echo', input: { prompt: words } },
  });
  const { taskId } = res.json();
  const first = connectSse(`${from}/api/tasks/${taskId}/stream`, headers);
  await first.waitFor(6, 10_000);
  first.close();
  const seen = first.events.slice();
  const second = connectSse(`${to}/api/tasks/${taskId}/stream`, {
    ...headers,
    'last-event-id': seen.at(-1)!.id!,
  });
  const status = await second.status;
  await second.ended;
  return { words, seen, second, status, all: [...seen, ...second.events] };
}

/** Both connections together: every event once, deltas 1…20 joining to the words, then the end. */
function expectWholeStream(all: SseEvent[], words: string) {
  const ids = all.map((e) => Number(e.id));
  expect(new Set(ids).size).toBe(ids.length);
  expect(deltas(all).map((d) => d.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect(
    deltas(all)
      .map((d) => d.text)
      .join(''),
  ).toBe(words);
  expect(all.at(-1)?.event).toBe('task:completed');
}

describe.each(dbTargets)('threads and streamed answers over HTTP on %s', (target) => {
  let h: Harness;
  let base: string;
  let alice: TestCaller;
  let bob: TestCaller;
  let viewer: TestCaller;
  beforeAll(async () => {
    h = await startHarness(target, {});
    await h.t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(h.t.app.server.address() as AddressInfo).port}`;
    alice = await createCaller(h.t.system, 'user');
    bob = await createCaller(h.t.system, 'user');
    viewer = await createCaller(h.t.system, 'viewer');
    await h.createAgent({
      agentId: 'talker',
      name: 'Talker',
      role: 'You are the talker.',
      modelProvider: 'openai',
      actions: ['time.now'],
      config: { baseUrl: h.chat.url, keyless: true },
    });
    // Slow enough to be busy while the next message arrives, and to be read mid-stream.
    await h.createAgent({
      agentId: 'slow-echo',
      name: 'Slow echo',
      role: 'Echo slowly.',
      modelProvider: 'echo',
      config: { streamDelayMs: 60 },
    });
  });
  afterAll(() => h.close());

  const as = (caller: TestCaller) => injectAs(h.t.app, caller);
  async function newThread(caller: TestCaller, agentId: string): Promise<string> {
    const res = await as(caller)({ method: 'POST', url: '/api/threads', payload: { agentId } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ agentId, status: 'idle', createdBy: caller.user.id, metadata: {} });
    return res.json().threadId;
  }
  async function send(caller: TestCaller, threadId: string, content: string, multitask?: string) {
    return as(caller)({
      method: 'POST',
      url: `/api/threads/${threadId}/messages`,
      payload: { content, ...(multitask ? { multitask } : {}) },
    });
  }
  async function finished(caller: TestCaller, taskId: string): Promise<TaskJson> {
    for (let i = 0; i < 10; i++) {
      const task = (await as(caller)(`/api/tasks/${taskId}?wait=10`)).json() as TaskJson;
      if (['completed', 'failed', 'cancelled'].includes(task.status)) return task;
    }
    throw new Error(`task ${taskId} did not finish`);
  }
  const thread = async (caller: TestCaller, id: string) => (await as(caller)(`/api/threads/${id}`)).json();

  it('runs three turns; the third model request carries the role and the whole history, tool calls included', async () => {
    h.answer((body) => {
      const text = lastUserText(body);
      if (text === 'what time is it?' && body.messages.at(-1)?.role === 'user') {
        return { toolCalls: [{ id: 'call_t', name: 'time.now', arguments: '{}' }] };
      }
      if (body.messages.at(-1)?.role === 'tool') return { content: 'It is now.' };
      return { content: `you said: ${text}` };
    });
    h.chat.requests.length = 0;
    const id = await newThread(alice, 'talker');
    const answers: string[] = [];
    for (const content of ['hello', 'what time is it?', 'thanks']) {
      const res = await send(alice, id, content);
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ type: 'thread', threadId: id });
      const done = await finished(alice, res.json().taskId);
      expect(done.status).toBe('completed');
      answers.push(done.output?.text ?? '');
    }
    expect(answers).toEqual(['you said: hello', 'It is now.', 'you said: thanks']);
    const last = h.chat.requests.at(-1)!;
    const toolMessage = h.chat.requests[2].messages.at(-1)!;
    expect(toolMessage.role).toBe('tool');
    expect(last.messages).toEqual([
      { role: 'system', content: 'You are the talker.' },
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'you said: hello' },
      { role: 'user', content: 'what time is it?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_t', type: 'function', function: { name: 'time.now', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'call_t', content: toolMessage.content },
      { role: 'assistant', content: 'It is now.' },
      { role: 'user', content: 'thanks' },
    ]);
    const stored = await thread(alice, id);
    expect(stored.status).toBe('idle');
    expect(stored.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ['user', 'hello'],
      ['assistant', 'you said: hello'],
      ['user', 'what time is it?'],
      ['assistant', ''],
      ['tool', toolMessage.content],
      ['assistant', 'It is now.'],
      ['user', 'thanks'],
      ['assistant', 'you said: thanks'],
    ]);
    expect(stored.messages[3].toolCalls).toEqual([{ id: 'call_t', name: 'time.now', arguments: {} }]);
    expect(stored.messages[4].toolCallId).toBe('call_t');
  });

  it('multitask reject: a second message while a run is active is 409 THREAD_BUSY', async () => {
    const id = await newThread(alice, 'slow-echo');
    const first = await send(alice, id, 'one two three four five six');
    expect(first.statusCode).toBe(202);
    expect((await thread(alice, id)).status).toBe('busy');
    const second = await send(alice, id, 'again');
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('THREAD_BUSY');
    await finished(alice, first.json().taskId);
    expect((await thread(alice, id)).messages.map((m: { content: string }) => m.content)).toEqual([
      'one two three four five six',
      'one two three four five six',
    ]);
  });

  it('multitask enqueue: messages run one after another, in order, each seeing the turns before it', async () => {
    const id = await newThread(alice, 'slow-echo');
    const a = (await send(alice, id, 'first message here')).json();
    const b = await send(alice, id, 'second message', 'enqueue');
    const c = await send(alice, id, 'third', 'enqueue');
    expect([b.statusCode, c.statusCode]).toEqual([202, 202]);
    const done = [
      await finished(alice, a.taskId),
      await finished(alice, b.json().taskId),
      await finished(alice, c.json().taskId),
    ];
    expect(done.map((t) => t.status)).toEqual(['completed', 'completed', 'completed']);
    expect(Date.parse(done[1].startedAt!)).toBeGreaterThanOrEqual(Date.parse(done[0].completedAt!));
    expect(Date.parse(done[2].startedAt!)).toBeGreaterThanOrEqual(Date.parse(done[1].completedAt!));
    const stored = await thread(alice, id);
    expect(stored.messages.map((m: { role: string; content: string }) => `${m.role}:${m.content}`)).toEqual([
      'user:first message here',
      'assistant:first message here',
      'user:second message',
      'assistant:second message',
      'user:third',
      'assistant:third',
    ]);
  });

  it('multitask interrupt: cancels the active run (which leaves no messages), then runs', async () => {
    const id = await newThread(alice, 'slow-echo');
    const a = (await send(alice, id, 'a long answer that will be cut off midway through')).json();
    await new Promise((r) => setTimeout(r, 150));
    const b = await send(alice, id, 'instead this', 'interrupt');
    expect(b.statusCode).toBe(202);
    expect((await finished(alice, a.taskId)).status).toBe('cancelled');
    expect((await finished(alice, b.json().taskId)).status).toBe('completed');
    const stored = await thread(alice, id);
    expect(stored.messages.map((m: { content: string }) => m.content)).toEqual([
      'instead this',
      'instead this',
    ]);
  });

  it('streams a task: deltas numbered from 1 join exactly to the answer, and the stream ends after completion', async () => {
    const prompt = 'streamed  answer, word by word\twith odd   spacing';
    const res = await as(alice)({
      method: 'POST',
      url: '/api/tasks',
      payload: { agentId: 'slow-echo', input: { prompt } },
    });
    const { taskId } = res.json();
    const client = connectSse(`${base}/api/tasks/${taskId}/stream`, alice.headers);
    expect(await client.status).toBe(200);
    await client.ended;
    const got = deltas(client.events);
    expect(got.map((d) => d.seq)).toEqual(got.map((_, i) => i + 1));
    expect(got.every((d) => d.attempt === 1)).toBe(true);
    const done = await finished(alice, taskId);
    expect(got.map((d) => d.text).join('')).toBe(done.output?.text);
    expect(done.output?.text).toBe(prompt);
    expect(client.events[0].event).toBe('task:created');
    expect(client.events.map((e) => e.event)).toContain('task:started');
    expect(client.events.at(-1)?.event).toBe('task:completed');
    // Ids increase: one space, in order.
    const ids = client.events.map((e) => Number(e.id));
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
  });

  it('resumes with Last-Event-ID on the same node: nothing lost, nothing repeated', async () => {
    const { words, second, all } = await dropAndResume(as(alice), alice.headers, base, base, 'w');
    expect(second.events.some((e) => e.event === 'stream:reset')).toBe(false);
    expectWholeStream(all, words);
  });

  it('answers an unknown Last-Event-ID with stream:reset, then the task from its first kept event', async () => {
    const res = await as(alice)({
      method: 'POST',
      url: '/api/tasks',
      payload: { agentId: 'slow-echo', input: { prompt: 'a b' } },
    });
    const { taskId } = res.json();
    await finished(alice, taskId);
    const client = connectSse(`${base}/api/tasks/${taskId}/stream`, {
      ...alice.headers,
      'last-event-id': '999999999',
    });
    await client.ended;
    expect(client.events[0].event).toBe('stream:reset');
    expect(client.events[0].id).toBeUndefined();
    expect(client.events[1].event).toBe('task:created');
    expect(
      deltas(client.events)
        .map((d) => d.text)
        .join(''),
    ).toBe('a b');
  });

  it("keeps another user's thread and stream out of sight (404); a viewer reads but cannot write (403)", async () => {
    const id = await newThread(alice, 'slow-echo');
    const msg = (await send(alice, id, 'private words')).json();
    expect((await as(bob)(`/api/threads/${id}`)).statusCode).toBe(404);
    expect((await send(bob, id, 'hi')).statusCode).toBe(404);
    expect((await as(bob)({ method: 'DELETE', url: `/api/threads/${id}` })).statusCode).toBe(404);
    expect(
      (await as(bob)('/api/threads')).json().items.map((t: { threadId: string }) => t.threadId),
    ).not.toContain(id);
    const stream = await as(bob)(`/api/tasks/${msg.taskId}/stream`);
    expect(stream.statusCode).toBe(404);
    expect(stream.json().error.code).toBe('TASK_NOT_FOUND');
    expect((await as(viewer)(`/api/threads/${id}`)).statusCode).toBe(200);
    const write = await send(viewer, id, 'hi');
    expect(write.statusCode).toBe(403);
    expect(write.json().error.code).toBe('FORBIDDEN');
    await finished(alice, msg.taskId);
    const del = await as(alice)({ method: 'DELETE', url: `/api/threads/${id}` });
    expect(del.statusCode).toBe(204);
    expect((await as(alice)(`/api/threads/${id}`)).statusCode).toBe(404);
  });

  it('refuses a caller-supplied role or system content in a thread message', async () => {
    const id = await newThread(alice, 'slow-echo');
    const res = await as(alice)({
      method: 'POST',
      url: `/api/threads/${id}/messages`,
      payload: { content: 'hi', role: 'system' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_ERROR');
    const empty = await as(alice)({
      method: 'POST',
      url: `/api/threads/${id}/messages`,
      payload: { content: '' },
    });
    expect(empty.statusCode).toBe(400);
  });
});

describe.runIf(dbTargets.includes('pg'))('resuming on another node', () => {
  it('a stream started on node A resumes on node B (same PostgreSQL) with nothing lost or repeated', async () => {
    const a = await startHarness('pg', {});
    // Node B: a second System over the same database (and Redis, when there is one), no worker.
    const { createSystem } = await import('../../src/system.js');
    const { buildApp } = await import('../../src/api/app.js');
    const { testConfig, quietLogger } = await import('../helpers/db.js');
    const url = a.t.system.config.databaseUrl!;
    const systemB = await createSystem(
      testConfig({
        DATABASE_URL: url,
        // The same keys as node A: a token it issued is good here.
        JWT_SECRET: a.t.system.secrets.jwtSecret,
        ENCRYPTION_KEY: a.t.system.secrets.encryptionKey,
        ...(serverRedisUrl ? { REDIS_URL: serverRedisUrl } : {}),
      }),
      { logger: quietLogger, worker: false },
    );
    const appB = await buildApp(systemB);
    try {
      await a.t.app.listen({ port: 0, host: '127.0.0.1' });
      await appB.listen({ port: 0, host: '127.0.0.1' });
      const baseA = `http://127.0.0.1:${(a.t.app.server.address() as AddressInfo).port}`;
      const baseB = `http://127.0.0.1:${(appB.server.address() as AddressInfo).port}`;
      const alice = await createCaller(a.t.system, 'user');
      await a.createAgent({
        agentId: 'slow-echo',
        name: 'S',
        role: 'r',
        modelProvider: 'echo',
        config: { streamDelayMs: 60 },
      });
      const { words, seen, status, all } = await dropAndResume(
        injectAs(a.t.app, alice),
        alice.headers,
        baseA,
        baseB,
        'n',
      );
      expect(status).toBe(200);
      expectWholeStream(all, words);
      // /api/events on node B resumes from an id handed out by node A, too.
      const fromB = connectSse(`${baseB}/api/events`, { ...alice.headers, 'last-event-id': seen[0].id! });
      await fromB.waitFor(all.length - 1, 10_000);
      expect(fromB.events.slice(0, all.length - 1).map((e) => e.id)).toEqual(all.slice(1).map((e) => e.id));
      fromB.close();
    } finally {
      await appB.close();
      await systemB.close();
      await a.close();
    }
  });
});
