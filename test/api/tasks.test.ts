import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Guard } from '../../src/api/app.js';
import type { User, UserRole } from '../../src/domain.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

/** A test guard: the `x-test-user` header names which of our users calls. */
function testGuard(users: Map<string, User>): Guard {
  return async (request: FastifyRequest) => {
    const name = request.headers['x-test-user'];
    if (typeof name === 'string') request.user = users.get(name);
  };
}

describe.each(dbTargets)('task API on %s', (target) => {
  let t: TestSystem;
  const users = new Map<string, User>();

  beforeAll(async () => {
    t = await createTestSystem(
      target,
      { BSM_POLL_INTERVAL_MS: '50' },
      { app: { guard: testGuard(users) }, queue: { backoff: { delayMs: () => 10 } } },
    );
    for (const [name, role] of [
      ['alice', 'user'],
      ['bob', 'user'],
      ['vera', 'viewer'],
    ] as Array<[string, UserRole]>) {
      const { rows } = await t.system.db.query<{ id: string }>(
        `INSERT INTO users (username, email, password_hash, role) VALUES ($1, $2, 'x', $3) RETURNING id`,
        [name, `${name}@example.com`, role],
      );
      users.set(name, { id: rows[0].id, role, username: name } as User);
    }
    await t.system.agents.create({ agentId: 'echo-1', name: 'Echo', role: 'echoes', modelProvider: 'echo' });
    await t.system.agents.create({
      agentId: 'sleepy',
      name: 'Sleepy',
      role: 'off',
      modelProvider: 'echo',
      status: 'inactive',
    });
    await t.system.queue.start();
  });
  afterAll(() => t?.close());

  const post = (url: string, body: unknown, user = 'alice') =>
    t.app.inject({ method: 'POST', url, payload: body as object, headers: { 'x-test-user': user } });
  const get = (url: string, user = 'alice') =>
    t.app.inject({ method: 'GET', url, headers: { 'x-test-user': user } });

  it('queues a task (202) and runs it with the echo provider', async () => {
    const res = await post('/api/tasks', {
      agentId: 'echo-1',
      input: { prompt: 'hello {{who}}', variables: { who: 'world' } },
    });
    expect(res.statusCode).toBe(202);
    const task = res.json();
    expect(task.status).toBe('pending');
    expect(task.priority).toBe(5);
    // SPEC §14: the agent by its human id, the UUID beside it; input as the object submitted.
    const agent = await t.system.agents.get('echo-1');
    expect(task).toMatchObject({ agentId: 'echo-1', agentUuid: agent.id });
    expect(task.input).toEqual({ prompt: 'hello {{who}}', variables: { who: 'world' } });
    const done = (await get(`/api/tasks/${task.taskId}?wait=10`)).json();
    expect(done.status).toBe('completed');
    expect(done.output.text).toBe('hello world');
    expect(done.output.usage.completionTokens).toBe(2);
    const executions = (await get(`/api/tasks/${task.taskId}/executions`)).json();
    expect(executions.items).toHaveLength(1);
    expect(executions.items[0]).toMatchObject({
      status: 'success',
      output: { text: 'hello world' },
      tokensUsed: 4,
      taskId: task.taskId,
      taskUuid: task.id,
      agentId: 'echo-1',
      agentUuid: agent.id,
      input: { prompt: 'hello {{who}}', variables: { who: 'world' } },
    });
    const listed = (await get('/api/tasks?agentId=echo-1&limit=500')).json();
    expect(listed.items.find((x: { taskId: string }) => x.taskId === task.taskId).agentId).toBe('echo-1');
  });

  it('refuses tasks for an inactive agent with AGENT_NOT_ACTIVE', async () => {
    const res = await post('/api/tasks', { agentId: 'sleepy', input: { prompt: 'x' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('AGENT_NOT_ACTIVE');
  });

  it('rejects unknown fields, bad priorities and input without prompt or messages', async () => {
    for (const body of [
      { agentId: 'echo-1', input: { prompt: 'x' }, extra: 1 },
      { agentId: 'echo-1', input: { prompt: 'x' }, priority: 11 },
      { agentId: 'echo-1', input: { prompt: 'x' }, priority: '5' },
      { agentId: 'echo-1', input: {} },
      { agentId: 'echo-1', input: { prompt: 'x' }, taskId: 'has space' },
    ]) {
      const res = await post('/api/tasks', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_ERROR');
    }
    expect((await t.system.repos.tasks.countByStatus()).failed).toBe(0);
  });

  it('returns the existing task when a taskId is submitted again, and runs it once', async () => {
    const body = { agentId: 'echo-1', input: { prompt: 'once' }, taskId: 'client-chosen-1' };
    const first = (await post('/api/tasks', body)).json();
    const second = await post('/api/tasks', body);
    expect(second.statusCode).toBe(202);
    expect(second.json().id).toBe(first.id);
    await get('/api/tasks/client-chosen-1?wait=10');
    expect((await get('/api/tasks/client-chosen-1/executions')).json().items).toHaveLength(1);
    // Another user reusing the id learns only that it is taken.
    const other = await post('/api/tasks', body, 'bob');
    expect(other.statusCode).toBe(409);
  });

  it("hides other users' tasks (404) but shows all tasks to a viewer", async () => {
    const mine = (await post('/api/tasks', { agentId: 'echo-1', input: { prompt: 'secret' } })).json();
    expect((await get(`/api/tasks/${mine.taskId}`, 'bob')).statusCode).toBe(404);
    expect((await get(`/api/tasks/${mine.taskId}`, 'bob')).json().error.code).toBe('TASK_NOT_FOUND');
    expect((await post(`/api/tasks/${mine.taskId}/cancel`, {}, 'bob')).statusCode).toBe(404);
    expect((await get(`/api/tasks/${mine.taskId}/executions`, 'bob')).statusCode).toBe(404);
    expect((await get(`/api/tasks/${mine.taskId}`, 'vera')).statusCode).toBe(200);
    const bobList = (await get('/api/tasks', 'bob')).json();
    expect(bobList.items.map((x: { taskId: string }) => x.taskId)).not.toContain(mine.taskId);
    const aliceList = (await get('/api/tasks?agentId=echo-1&limit=500', 'alice')).json();
    expect(aliceList.items.map((x: { taskId: string }) => x.taskId)).toContain(mine.taskId);
    expect((await get('/api/tasks?agentId=nobody', 'alice')).json().total).toBe(0);
  });

  it('answers 409 when cancelling a finished task and 404 for an unknown one', async () => {
    const task = (await post('/api/tasks', { agentId: 'echo-1', input: { prompt: 'quick' } })).json();
    await get(`/api/tasks/${task.taskId}?wait=10`);
    const res = await post(`/api/tasks/${task.taskId}/cancel`, {});
    expect(res.statusCode).toBe(409);
    expect((await post('/api/tasks/no-such-task/cancel', {})).statusCode).toBe(404);
  });

  it('runs an agent synchronously through /api/agents/:agentId/run', async () => {
    const res = await post('/api/agents/echo-1/run', {
      input: { messages: [{ role: 'user', content: 'sync run' }] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'completed', output: { text: 'sync run' } });
    const audit = await t.system.db.query<{ action: string }>(
      `SELECT action FROM audit_logs WHERE action = 'agent.run'`,
    );
    expect(audit.rows.length).toBe(1);
  });

  it('reports engine status and queue metrics', async () => {
    const status = (await get('/api/engine/status')).json();
    expect(status.components.map((c: { name: string }) => c.name)).toEqual([
      'database',
      'cache',
      'eventBus',
      'agentManager',
      'taskQueue',
      'pluginSystem',
      'workflowEngine',
      'scheduler',
      'approvals',
    ]);
    const plugins = status.components.find((c: { name: string }) => c.name === 'pluginSystem').plugins;
    expect(plugins.flatMap((p: { actions: string[] }) => p.actions)).toEqual(
      expect.arrayContaining(['http.get', 'agent.delegate', 'time.now']),
    );
    const metrics = (await get('/api/engine/metrics')).json();
    expect(metrics.taskQueue.counts.completed).toBeGreaterThan(0);
    expect(metrics.taskQueue.counts.waiting).toBe(0);
    expect(metrics.approvals).toEqual({ pending: 0 });
    expect(metrics.taskQueue.node.latencyMs.enqueueToStart.p50).not.toBeNull();
  });
});
