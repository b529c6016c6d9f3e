import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../../src/core/events.js';
import { ExponentialBackoff } from '../../../src/core/queue/backoff.js';
import type { System } from '../../../src/system.js';
import { dbTargets } from '../../helpers/db.js';
import { ScriptedProvider } from '../../helpers/scriptedProvider.js';
import { createTestSystem, type TestSystem } from '../../helpers/system.js';

describe.each(dbTargets)('task queue on %s', (target) => {
  let t: TestSystem;
  let system: System;
  let provider: ScriptedProvider;
  const events: BusEvent[] = [];

  async function setUp(queue: Record<string, unknown> = {}, env: Record<string, string> = {}) {
    t = await createTestSystem(
      target,
      { BSM_POLL_INTERVAL_MS: '50', BSM_MAX_CONCURRENT_TASKS: '5', ...env },
      { queue: { backoff: new ExponentialBackoff({ baseMs: 100, jitter: 0.2 }), ...queue } },
    );
    system = t.system;
    provider = new ScriptedProvider();
    system.providers.register(provider);
    system.events.subscribe((e) => events.push(e));
    await system.agents.create({ agentId: 'bot', name: 'Bot', role: 'r', modelProvider: 'scripted' });
  }

  beforeEach(() => {
    events.length = 0;
  });
  afterEach(async () => {
    await t?.close();
  });

  const submit = (prompt: string, extra: Record<string, unknown> = {}) =>
    system.queue.submit({ agentId: 'bot', input: { prompt }, ...extra }).then((r) => r.task);
  const waitDone = (taskId: string) => system.queue.waitForTask(taskId, 15_000);

  it('starts tasks in priority order, oldest first within a priority', async () => {
    await setUp({}, { BSM_MAX_CONCURRENT_TASKS: '1' });
    const order = [1, 5, 10, 5, 3];
    const tasks = [];
    for (const [i, priority] of order.entries()) tasks.push(await submit(`p${priority}-${i}`, { priority }));
    await system.queue.start();
    for (const task of tasks) await waitDone(task.taskId);
    expect(provider.calls).toEqual(['p10-2', 'p5-1', 'p5-3', 'p3-4', 'p1-0']);
  });

  it('frees a slot when its task finishes running: the next task starts while the completion commits', async () => {
    await setUp({}, { BSM_MAX_CONCURRENT_TASKS: '1' });
    // Every completion statement takes 400 ms more to reach the database.
    const db = system.db as { query: (...args: unknown[]) => Promise<unknown> };
    const query = db.query;
    db.query = (sql: unknown, ...rest: unknown[]) =>
      typeof sql === 'string' && sql.includes("SET status = 'completed'")
        ? new Promise((r) => setTimeout(r, 400)).then(() => query.call(db, sql, ...rest))
        : query.call(db, sql, ...rest);
    const first = await submit('first', { priority: 9 });
    const second = await submit('second', { priority: 1 });
    await system.queue.start();
    const [a, b] = [await waitDone(first.taskId), await waitDone(second.taskId)];
    expect([a.status, b.status]).toEqual(['completed', 'completed']);
    expect(provider.maxInFlight).toBe(1);
    // The second started before the first's completion was written (it waited 400 ms to be).
    expect((b.startedAt as Date).getTime()).toBeLessThan((a.completedAt as Date).getTime() - 200);
    expect(await system.queue.executions(first.taskId)).toHaveLength(1);
  });

  it('stops a task that exceeds timeout_seconds and records the attempt as timeout', async () => {
    await setUp();
    await system.queue.start();
    const task = await submit('hang', { timeoutSeconds: 1, maxRetries: 0 });
    const done = await waitDone(task.taskId);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/timed out after 1 s/);
    const [execution] = await system.queue.executions(task.taskId);
    expect(execution.status).toBe('timeout');
    expect(execution.executionTimeMs).toBeGreaterThanOrEqual(900);
  });

  it('retries a failing task max_retries times with growing delays, then fails keeping its error', async () => {
    await setUp();
    await system.queue.start();
    const task = await submit('fail:boom', { maxRetries: 3 });
    const done = await waitDone(task.taskId);
    expect(done.status).toBe('failed');
    expect(done.error).toBe('boom');
    expect(done.retryCount).toBe(3);
    const executions = await system.queue.executions(task.taskId);
    expect(executions.map((e) => e.status)).toEqual(['failure', 'failure', 'failure', 'failure']);
    expect(executions.every((e) => e.errorMessage === 'boom')).toBe(true);
    const retries = events.filter((e) => e.type === 'task:retry' && e.taskId === task.taskId);
    expect(retries).toHaveLength(3);
    const gaps = executions.slice(1).map((e, i) => e.createdAt.getTime() - executions[i].createdAt.getTime());
    expect(gaps[0]).toBeGreaterThanOrEqual(80);
    expect(gaps[1]).toBeGreaterThan(gaps[0]);
    expect(gaps[2]).toBeGreaterThan(gaps[1]);
    expect(events.some((e) => e.type === 'task:failed' && e.taskId === task.taskId)).toBe(true);
  });

  it('completes a task that succeeds after a failure, with one execution per attempt', async () => {
    await setUp();
    await system.queue.start();
    let calls = 0;
    system.providers.register({
      name: 'flaky',
      needsApiKey: false,
      async run() {
        calls += 1;
        if (calls === 1) throw new Error('transient');
        return { text: 'ok', usage: { promptTokens: 0, completionTokens: 1, totalTokens: 1 } };
      },
    });
    await system.agents.create({ agentId: 'flaky', name: 'F', role: 'r', modelProvider: 'flaky' });
    const { task } = await system.queue.submit({ agentId: 'flaky', input: { prompt: 'x' } });
    const done = await waitDone(task.taskId);
    expect(done).toMatchObject({ status: 'completed', retryCount: 1, error: null });
    expect((await system.queue.executions(task.taskId)).map((e) => e.status)).toEqual(['failure', 'success']);
  });

  it('cancels a pending task at once and it never runs', async () => {
    await setUp();
    const task = await submit('never');
    const cancelled = await system.queue.cancel(task.taskId);
    expect(cancelled.status).toBe('cancelled');
    await system.queue.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(provider.calls).not.toContain('never');
    expect((await system.queue.get(task.taskId)).status).toBe('cancelled');
    await expect(system.queue.cancel(task.taskId)).rejects.toMatchObject({ statusCode: 409 });
  });

  it('aborts a running task when it is cancelled', async () => {
    await setUp();
    await system.queue.start();
    const task = await submit('sleep:20000');
    await system.events.waitFor((e) => e.type === 'task:started' && e.taskId === task.taskId, 5_000);
    const requested = await system.queue.cancel(task.taskId);
    expect(requested).toMatchObject({ status: 'running', cancelRequested: true });
    const done = await waitDone(task.taskId);
    expect(done.status).toBe('cancelled');
    const [execution] = await system.queue.executions(task.taskId);
    expect(execution).toMatchObject({ status: 'failure', errorMessage: 'cancelled' });
  });

  it('never runs a resubmitted taskId twice', async () => {
    await setUp();
    await system.queue.start();
    const first = await submit('idem', { taskId: 'my-id' });
    await waitDone('my-id');
    const again = await system.queue.submit({ agentId: 'bot', input: { prompt: 'idem' }, taskId: 'my-id' });
    expect(again.created).toBe(false);
    expect(again.task.id).toBe(first.id);
    await new Promise((r) => setTimeout(r, 200));
    expect(provider.calls.filter((c) => c === 'idem')).toHaveLength(1);
  });

  it('drains running tasks on stop()', async () => {
    await setUp();
    await system.queue.start();
    const task = await submit('sleep:300');
    await system.events.waitFor((e) => e.type === 'task:started' && e.taskId === task.taskId, 5_000);
    await system.queue.stop();
    expect((await system.queue.get(task.taskId)).status).toBe('completed');
  });

  it('gives a task back to pending, without counting an attempt, when stop() runs out of time', async () => {
    await setUp();
    await system.queue.start();
    const task = await submit('sleep:20000');
    await system.events.waitFor((e) => e.type === 'task:started' && e.taskId === task.taskId, 5_000);
    await system.queue.stop(100);
    const back = await system.queue.get(task.taskId);
    expect(back).toMatchObject({ status: 'pending', retryCount: 0, leaseOwner: null });
    expect(await system.queue.executions(task.taskId)).toHaveLength(0);
  });

  it("keeps an agent's running tasks within its maxConcurrency", async () => {
    await setUp();
    await system.agents.update('bot', { config: { maxConcurrency: 2 } });
    const tasks = [];
    for (let i = 0; i < 6; i++) tasks.push(await submit('sleep:100'));
    await system.queue.start();
    for (const task of tasks) expect((await waitDone(task.taskId)).status).toBe('completed');
    expect(provider.maxInFlight).toBe(2);
  });

  it('takes back a task whose lease expired and runs it again', async () => {
    await setUp({ leaseMs: 300 });
    const task = await submit('after-crash');
    // Simulate a worker that claimed the task and died: a running row with a lapsed lease.
    await system.db.query(
      `UPDATE tasks SET status = 'running', lease_owner = 'dead-node', lease_expires_at = CURRENT_TIMESTAMP - interval '1 second'
       WHERE id = $1`,
      [task.id],
    );
    await system.queue.start();
    const done = await waitDone(task.taskId);
    expect(done).toMatchObject({ status: 'completed', retryCount: 1 });
    const executions = await system.queue.executions(task.taskId);
    expect(executions.map((e) => e.status)).toEqual(['failure', 'success']);
    expect(executions[0].errorMessage).toMatch(/dead-node/);
  });

  describe('claim-ahead (tasks claimed before a slot is free, held in the worker)', () => {
    /**
     * One slot, and every claim 150 ms slower to reach the database than the tasks take to run:
     * a few short tasks teach the worker to claim one task ahead. The worker is left stopped, so
     * that what the test submits next is there for its first claim after `start()`.
     */
    async function slowClaimsOneSlot(holdMs: number) {
      await setUp({ holdMs }, { BSM_MAX_CONCURRENT_TASKS: '1' });
      const db = system.db as { query: (...args: unknown[]) => Promise<unknown> };
      const query = db.query;
      db.query = (sql: unknown, ...rest: unknown[]) =>
        typeof sql === 'string' && sql.includes('FOR UPDATE SKIP LOCKED')
          ? new Promise((r) => setTimeout(r, 150)).then(() => query.call(db, sql, ...rest))
          : query.call(db, sql, ...rest);
      await system.queue.start();
      const warm = [];
      for (let i = 0; i < 3; i++) warm.push(await submit(`warm-${i}`));
      for (const task of warm) await waitDone(task.taskId);
      await system.queue.stop();
    }

    /** Resolves once the task is claimed (`running`) but not started: held by the worker. */
    async function held(taskId: string, prompt: string) {
      for (let i = 0; i < 200; i++) {
        const task = await system.queue.get(taskId);
        if (task.status === 'running') {
          expect(provider.calls).not.toContain(prompt);
          return task;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`${taskId} was never held`);
    }

    it('starts the next task as the slot frees, claimed with the one before it', async () => {
      await slowClaimsOneSlot(5_000);
      const a = await submit('a', { priority: 9 });
      const b = await submit('b', { priority: 1 });
      await system.queue.start();
      const [doneA, doneB] = [await waitDone(a.taskId), await waitDone(b.taskId)];
      expect([doneA.status, doneB.status]).toEqual(['completed', 'completed']);
      // One claim took both (its statement's timestamp): b did not wait 150 ms for a claim of its own.
      expect(doneB.startedAt).toEqual(doneA.startedAt);
      expect(provider.maxInFlight).toBe(1);
      expect(await system.queue.executions(b.taskId)).toHaveLength(1);
    });

    it('gives a held task back to pending when no slot frees within the hold, then runs it once', async () => {
      await slowClaimsOneSlot(200);
      const long = await submit('sleep:1500', { priority: 9 });
      const x = await submit('x', { priority: 1 });
      await system.queue.start();
      await held(x.taskId, 'x');
      for (let i = 0; i < 100; i++) {
        if ((await system.queue.get(x.taskId)).status === 'pending') break;
        await new Promise((r) => setTimeout(r, 10));
      }
      // Back in the queue, untouched, while the long task still holds the only slot.
      expect(await system.queue.get(x.taskId)).toMatchObject({
        status: 'pending',
        retryCount: 0,
        leaseOwner: null,
      });
      expect((await system.queue.get(long.taskId)).status).toBe('running');
      expect((await waitDone(x.taskId)).status).toBe('completed');
      expect(provider.calls.filter((c) => c === 'x')).toHaveLength(1);
      expect(await system.queue.executions(x.taskId)).toHaveLength(1);
    });

    it('cancels a held task without running it, recording the attempt as a cancel', async () => {
      await slowClaimsOneSlot(5_000);
      await submit('sleep:1000', { priority: 9 });
      const x = await submit('x', { priority: 1 });
      await system.queue.start();
      await held(x.taskId, 'x');
      expect(await system.queue.cancel(x.taskId)).toMatchObject({ status: 'running', cancelRequested: true });
      expect((await waitDone(x.taskId)).status).toBe('cancelled');
      expect(provider.calls).not.toContain('x');
      const [execution] = await system.queue.executions(x.taskId);
      expect(execution).toMatchObject({ status: 'failure', errorMessage: 'cancelled' });
    });

    it('runs a task claimed as stop() begins when a slot is free for it: `running` means it finishes', async () => {
      await slowClaimsOneSlot(5_000);
      const x = await submit('x');
      await system.queue.start(); // its first claim now waits 150 ms before reaching the database
      await system.queue.stop();
      expect(await system.queue.get(x.taskId)).toMatchObject({ status: 'completed', retryCount: 0 });
      expect(provider.calls.filter((c) => c === 'x')).toHaveLength(1);
      expect(await system.queue.executions(x.taskId)).toHaveLength(1);
    });

    it('gives held tasks back on stop(), without counting an attempt', async () => {
      await slowClaimsOneSlot(5_000);
      const long = await submit('sleep:20000', { priority: 9 });
      const x = await submit('x', { priority: 1 });
      await system.queue.start();
      await held(x.taskId, 'x');
      await system.queue.stop(100);
      for (const task of [long, x]) {
        expect(await system.queue.get(task.taskId)).toMatchObject({
          status: 'pending',
          retryCount: 0,
          leaseOwner: null,
        });
        expect(await system.queue.executions(task.taskId)).toHaveLength(0);
      }
      expect(provider.calls).not.toContain('x');
    });
  });
});
