/**
 * Issue 10, "Done when": delegation waits, it does not block. With two worker slots, twenty
 * parents that each delegate all complete — none times out — and while they wait another user's
 * tasks keep running. Each parent's model is asked exactly twice (its first turn is never asked
 * again on resume), and several delegations of one turn come back in call order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, type Inject, injectAs } from '../helpers/auth.js';
import { dbTargets } from '../helpers/db.js';
import { type Harness, lastUserText, startHarness, type TaskJson } from './harness.js';

const PARENTS = 20;

const until = async <T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe.each(dbTargets)('durable waits on %s', (target) => {
  let h: Harness;
  let asAlice: Inject;
  let asBob: Inject;
  let aliceId: string;
  /** Children's answers are held until the test lets them go. */
  let holdChildren = true;
  const held: Array<() => void> = [];

  beforeAll(async () => {
    // Two slots on this node (BSM_MAX_CONCURRENT_TASKS=2): before SPEC §11, two parents waiting
    // for their children would have stopped every task on it.
    h = await startHarness(target, { queue: { maxConcurrent: 2, backoff: { delayMs: () => 10 } } });
    const alice = await createCaller(h.t.system, 'user');
    aliceId = alice.user.id;
    asAlice = injectAs(h.t.app, alice);
    asBob = injectAs(h.t.app, await createCaller(h.t.system, 'user'));
    await h.createAgent({
      agentId: 'boss',
      name: 'Boss',
      role: 'You delegate.',
      modelProvider: 'openai',
      modelName: 'boss',
      actions: ['agent.delegate'],
      config: { baseUrl: h.chat.url, keyless: true },
    });
    await h.createAgent({
      agentId: 'helper',
      name: 'Helper',
      role: 'You help.',
      modelProvider: 'openai',
      modelName: 'helper',
      // One helper at a time on this node: the other slot stays free for whoever else needs it.
      config: { baseUrl: h.chat.url, keyless: true, maxConcurrency: 1 },
    });
    await h.createAgent({ agentId: 'echoer', name: 'Echo', role: 'echoes', modelProvider: 'echo' });
    h.answer((body) => {
      if (body.model === 'helper') {
        const text = `helped with ${lastUserText(body)}`;
        if (!holdChildren) return { content: text };
        return new Promise((resolve) => held.push(() => resolve({ content: text })));
      }
      const tools = body.messages.filter((m) => m.role === 'tool').map((m) => String(m.content));
      if (tools.length) return { content: `boss got ${tools.length}: ${tools.join(' | ')}` };
      const job = lastUserText(body);
      const calls = job.startsWith('pair')
        ? ['first', 'second'].map((part, i) => ({
            id: `d${i}`,
            name: 'agent.delegate',
            arguments: JSON.stringify({ agentId: 'helper', prompt: `${job} ${part}` }),
          }))
        : [
            {
              id: 'd0',
              name: 'agent.delegate',
              arguments: JSON.stringify({ agentId: 'helper', prompt: job }),
            },
          ];
      return { toolCalls: calls };
    });
    // PGlite start-up and migrations take long on a loaded machine.
  }, 180_000);
  afterAll(() => h?.close());

  const submit = async (as: Inject, agentId: string, prompt: string, extra: object = {}) => {
    const res = await as({
      method: 'POST',
      url: '/api/tasks',
      payload: { agentId, input: { prompt }, maxRetries: 0, timeoutSeconds: 20, ...extra },
    });
    expect(res.statusCode).toBe(202);
    return res.json() as TaskJson;
  };
  const listWaiting = async () =>
    ((await h.t.inject('/api/tasks?status=waiting&agentId=boss&limit=100')).json() as { items: TaskJson[] })
      .items;

  it('runs 20 delegating parents on 2 slots to completion while another user’s tasks keep running', async () => {
    const parents = [];
    for (let i = 0; i < PARENTS; i++)
      parents.push(await submit(asAlice, 'boss', `job-${i}`, { priority: 7 }));
    // Every parent parks: it holds no slot while its child waits its turn.
    const waiting = await until(listWaiting, (items) => items.length === PARENTS);
    expect(waiting).toHaveLength(PARENTS);
    const metrics = (await h.t.inject('/api/engine/metrics')).json();
    expect(metrics.taskQueue.counts.waiting).toBe(PARENTS);
    // Meanwhile another user's tasks run at once on the free slot.
    for (let i = 0; i < 3; i++) {
      const other = await submit(asBob, 'echoer', `bob ${i}`);
      const done = (await asBob(`/api/tasks/${other.taskId}?wait=20`)).json() as TaskJson;
      expect(done.status).toBe('completed');
    }
    expect((await listWaiting()).length).toBe(PARENTS);

    holdChildren = false;
    for (const release of held.splice(0)) release();
    const done = await Promise.all(
      parents.map(async (p) => {
        const t = await until(
          async () => (await asAlice(`/api/tasks/${p.taskId}`)).json() as TaskJson,
          (x) => ['completed', 'failed', 'cancelled'].includes(x.status),
          120_000,
        );
        return t;
      }),
    );
    for (const [i, t] of done.entries()) {
      expect(t.status, t.error ?? '').toBe('completed');
      expect(t.output.text).toContain(`"text":"helped with job-${i}"`);
    }
    // No finished turn was asked twice: exactly two model requests per parent.
    const bossRequests = h.chat.requests.filter((r) => r.model === 'boss');
    expect(bossRequests).toHaveLength(PARENTS * 2);
    expect(bossRequests.filter((r) => !r.messages.some((m) => m.role === 'tool'))).toHaveLength(PARENTS);
    // Children work for the parent's owner, at the parent's priority.
    const children = (await h.t.inject('/api/tasks?agentId=helper&limit=100')).json() as {
      items: Array<TaskJson & { createdBy: string; priority: number }>;
    };
    expect(children.items).toHaveLength(PARENTS);
    for (const child of children.items) expect(child).toMatchObject({ createdBy: aliceId, priority: 7 });
  }, 180_000);

  it('waits for every delegation of one turn and answers them in call order', async () => {
    const parent = await submit(asAlice, 'boss', 'pair-x');
    const done = await until(
      async () => (await asAlice(`/api/tasks/${parent.taskId}`)).json() as TaskJson,
      (x) => x.status === 'completed' || x.status === 'failed',
    );
    expect(done.status).toBe('completed');
    expect(done.output.toolCalls?.map((c) => (c.result as { text: string }).text)).toEqual([
      'helped with pair-x first',
      'helped with pair-x second',
    ]);
    expect(done.output.text).toMatch(/^boss got 2: .*pair-x first.* \| .*pair-x second/);
  }, 90_000);

  it('cancels a waiting parent with its unfinished child', async () => {
    holdChildren = true;
    const parent = await submit(asAlice, 'boss', 'doomed');
    await until(
      async () => (await asAlice(`/api/tasks/${parent.taskId}`)).json() as TaskJson,
      (x) => x.status === 'waiting',
    );
    const res = await asAlice({ method: 'POST', url: `/api/tasks/${parent.taskId}/cancel` });
    expect(res.json().status).toBe('cancelled');
    const children = (await h.t.inject('/api/tasks?agentId=helper&limit=200')).json() as {
      items: TaskJson[];
    };
    const child = children.items.find((c) => c.parentTaskId === parent.id)!;
    const ended = await until(
      async () => (await h.t.inject(`/api/tasks/${child.taskId}`)).json() as TaskJson,
      (x) => x.status === 'cancelled',
    );
    expect(ended.status).toBe('cancelled');
    holdChildren = false;
    for (const release of held.splice(0)) release();
  }, 90_000);

  it('counts only running time against timeoutSeconds, never the wait', async () => {
    holdChildren = true;
    const events: string[] = [];
    let parentId = '';
    const unsubscribe = h.t.system.events.subscribe((e) => {
      if (e.taskId === parentId) events.push(e.type);
    });
    const parent = await submit(asAlice, 'boss', 'patience', { timeoutSeconds: 2 });
    parentId = parent.taskId;
    await until(
      async () => (await asAlice(`/api/tasks/${parent.taskId}`)).json() as TaskJson,
      (x) => x.status === 'waiting',
    );
    // Wait well past the parent's 2 s budget before its child may answer.
    await new Promise((r) => setTimeout(r, 3_500));
    holdChildren = false;
    for (const release of held.splice(0)) release();
    const done = await until(
      async () => (await asAlice(`/api/tasks/${parent.taskId}`)).json() as TaskJson,
      (x) => ['completed', 'failed', 'cancelled'].includes(x.status),
    );
    unsubscribe();
    expect(done.status, done.error ?? '').toBe('completed');
    expect(done.output.text).toContain('helped with patience');
    expect(events).toEqual(
      expect.arrayContaining(['task:started', 'task:waiting', 'task:resumed', 'task:completed']),
    );
    expect(events.indexOf('task:waiting')).toBeLessThan(events.indexOf('task:resumed'));
  }, 90_000);
});
