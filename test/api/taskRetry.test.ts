/**
 * Retry as public API (SPEC §13): one failed or cancelled task, or every matching one the caller
 * may see, back to `pending` with a fresh attempt budget; audited; ownership and roles enforced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, injectAs, type TestCaller } from '../helpers/auth.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe.each(dbTargets)('task retry API on %s', (target) => {
  let t: TestSystem;
  let alice: TestCaller;
  let bob: TestCaller;
  let vera: TestCaller;
  let admin: TestCaller;

  beforeAll(async () => {
    t = await createTestSystem(target, { BSM_POLL_INTERVAL_MS: '50' });
    [alice, bob, vera, admin] = await Promise.all([
      createCaller(t.system, 'user'),
      createCaller(t.system, 'user'),
      createCaller(t.system, 'viewer'),
      createCaller(t.system, 'admin'),
    ]);
    for (const agentId of ['echo-r', 'echo-s'])
      await t.system.agents.create({ agentId, name: agentId, role: 'echo', modelProvider: 'echo' });
  });
  afterAll(() => t?.close());

  const as = (caller: TestCaller) => injectAs(t.app, caller);
  const post = (caller: TestCaller, url: string, payload?: object) =>
    as(caller)({ method: 'POST', url, payload });

  /** A task of `caller` left in `status` (the queue does not run until the last test). */
  const taskIn = async (
    caller: TestCaller,
    status: 'failed' | 'cancelled' | 'pending',
    agentId = 'echo-r',
  ) => {
    const taskId = (await post(caller, '/api/tasks', { agentId, input: { prompt: 'again' } })).json().taskId;
    if (status !== 'pending') {
      await t.system.db.query(
        `UPDATE tasks SET status = $2, retry_count = max_retries, error = 'boom', completed_at = now() WHERE task_id = $1`,
        [taskId, status],
      );
    }
    return taskId as string;
  };
  const audited = async (action: string) => (await t.system.repos.auditLogs.list({ action })).items;

  it('puts a failed task back to pending with a fresh attempt budget, and audits it', async () => {
    const taskId = await taskIn(alice, 'failed');
    const res = await post(alice, `/api/tasks/${taskId}/retry`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      taskId,
      status: 'pending',
      retryCount: 0,
      error: null,
      completedAt: null,
    });
    const rows = await audited('task.retry');
    expect(rows.find((r) => r.resourceId === taskId)).toMatchObject({
      userId: alice.user.id,
      details: { previousStatus: 'failed' },
    });
  });

  it('retries a cancelled task; 409 TASK_NOT_RETRYABLE for one that is pending', async () => {
    const cancelled = await taskIn(alice, 'cancelled');
    expect((await post(alice, `/api/tasks/${cancelled}/retry`)).json().status).toBe('pending');
    const again = await post(alice, `/api/tasks/${cancelled}/retry`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'TASK_NOT_RETRYABLE', details: { status: 'pending' } });
  });

  it("answers 404 for another user's task and for an unknown one, 403 to a viewer, changing nothing", async () => {
    const taskId = await taskIn(alice, 'failed');
    expect((await post(bob, `/api/tasks/${taskId}/retry`)).statusCode).toBe(404);
    expect((await post(bob, '/api/tasks/no-such-task/retry')).statusCode).toBe(404);
    const viewer = await post(vera, `/api/tasks/${taskId}/retry`);
    expect(viewer.statusCode).toBe(403);
    expect((await post(vera, '/api/tasks/retry', { status: 'failed' })).statusCode).toBe(403);
    expect((await t.system.queue.get(taskId)).status).toBe('failed');
  });

  it('bulk-retries only the matching tasks the caller may see and answers how many', async () => {
    await t.system.db.query(`UPDATE tasks SET status = 'completed' WHERE status IN ('failed', 'cancelled')`);
    const aliceFailed = [await taskIn(alice, 'failed'), await taskIn(alice, 'failed', 'echo-s')];
    const aliceCancelled = await taskIn(alice, 'cancelled');
    const bobFailed = await taskIn(bob, 'failed');

    const mine = await post(alice, '/api/tasks/retry', { status: 'failed', agentId: 'echo-s' });
    expect(mine.json()).toEqual({ retried: 1 });
    expect((await t.system.queue.get(aliceFailed[1])).status).toBe('pending');
    expect((await t.system.queue.get(aliceFailed[0])).status).toBe('failed');

    const rest = await post(alice, '/api/tasks/retry', { status: 'failed' });
    expect(rest.json()).toEqual({ retried: 1 });
    expect((await t.system.queue.get(bobFailed)).status).toBe('failed');
    expect((await t.system.queue.get(aliceCancelled)).status).toBe('cancelled');

    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await post(admin, '/api/tasks/retry', { status: 'failed', from: future })).json()).toEqual({
      retried: 0,
    });
    expect((await post(admin, '/api/tasks/retry', { status: 'failed', to: future })).json()).toEqual({
      retried: 1,
    });
    expect((await t.system.queue.get(bobFailed)).status).toBe('pending');
    expect((await post(admin, '/api/tasks/retry', { status: 'failed', agentId: 'nobody' })).json()).toEqual({
      retried: 0,
    });

    const bulk = await audited('task.retry_bulk');
    expect(bulk.map((r) => r.details)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ status: 'failed', agentId: 'echo-s', retried: 1 }),
        expect.objectContaining({ status: 'failed', to: future, retried: 1 }),
      ]),
    );
  });

  it('refuses a bad bulk filter with 400', async () => {
    for (const body of [
      {},
      { status: 'completed' },
      { status: 'failed', from: 'yesterday' },
      { status: 'failed', x: 1 },
    ]) {
      const res = await post(admin, '/api/tasks/retry', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_ERROR');
    }
  });

  it('filters the task list by date and by parent task', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await as(admin)(`/api/tasks?from=${encodeURIComponent(future)}`)).json().total).toBe(0);
    expect((await as(admin)(`/api/tasks?to=${encodeURIComponent(future)}`)).json().total).toBeGreaterThan(0);
    const parent = await t.system.queue.get(await taskIn(alice, 'pending'));
    const { task: child } = await t.system.queue.submit({
      agentId: 'echo-r',
      input: { prompt: 'child' },
      parentTaskId: parent.id,
      createdBy: alice.user.id,
    });
    const children = (await as(alice)(`/api/tasks?parentTaskId=${parent.id}`)).json();
    expect(children.items.map((x: { taskId: string }) => x.taskId)).toEqual([child.taskId]);
  });

  it('a retried task runs again to completion', async () => {
    const taskId = await taskIn(alice, 'failed');
    await post(alice, `/api/tasks/${taskId}/retry`);
    await t.system.queue.start();
    const done = await t.system.queue.waitForTask(taskId, 20_000);
    expect(done.status).toBe('completed');
    expect(done.retryCount).toBe(0);
  });
});
