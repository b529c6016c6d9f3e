import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionError } from '../../../src/core/plugins/actionError.js';
import { childTaskId } from '../../../src/core/plugins/builtins/delegate.js';
import { createToolInvoker } from '../../../src/core/plugins/toolInvoker.js';
import { Deferred, type TaskRunner } from '../../../src/core/providers/types.js';
import type { Agent } from '../../../src/domain.js';
import { dbTargets, quietLogger } from '../../helpers/db.js';
import { createTestSystem, type TestSystem } from '../../helpers/system.js';
import { fakeTask } from './helpers.js';

describe.each(dbTargets)('tool invoker on %s', (target) => {
  let t: TestSystem;
  let agent: Agent;
  beforeAll(async () => {
    t = await createTestSystem(target);
    agent = await t.system.agents.create({
      agentId: 'clock-reader',
      name: 'Clock reader',
      role: 'tells the time',
      modelProvider: 'echo',
      actions: ['time.now', 'agent.delegate'],
      config: { maxDelegationDepth: 2 },
    });
  });
  afterAll(() => t.close());

  const invoker = (runner?: TaskRunner, metadata: Record<string, unknown> = {}) =>
    createToolInvoker({
      agent,
      task: fakeTask({ taskId: 'parent-task', metadata }),
      pluginSystem: t.system.plugins,
      audit: t.system.audit,
      logger: quietLogger,
      runner,
    });
  const audits = async (action: string) =>
    (await t.system.repos.auditLogs.list({ action })).items.map((a) => a.details);
  const signal = new AbortController().signal;

  it('offers exactly the agent’s allowed actions as tool definitions', () => {
    expect(invoker().definitions.map((d) => d.name)).toEqual(['time.now', 'agent.delegate']);
    expect(invoker().definitions[0].parameters).toMatchObject({ type: 'object' });
  });

  it('rejects an agent whose actions name something no plugin registered', async () => {
    await expect(
      t.system.agents.update('clock-reader', { actions: ['time.now', 'shell.exec'] }),
    ).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringContaining('Unknown actions: shell.exec'),
    });
  });

  it('refuses an action off the allow-list, tells the model why, and audits the refusal', async () => {
    const error = await invoker()
      .invoke('http.get', { url: 'http://169.254.169.254/' }, signal)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionError);
    expect((error as ActionError).message).toBe(
      'Action http.get is not allowed for agent clock-reader; allowed actions: time.now, agent.delegate',
    );
    expect(await audits('action.refused')).toContainEqual(
      expect.objectContaining({ tool: 'http.get', taskId: 'parent-task' }),
    );
    expect(await audits('action.invoke')).not.toContainEqual(expect.objectContaining({ tool: 'http.get' }));
  });

  it('refuses arguments that break the action schema, naming the problem', async () => {
    await expect(invoker().invoke('time.now', { timezone: 42 }, signal)).rejects.toMatchObject({
      reason: 'refused',
      message: 'Invalid arguments for time.now: arguments.timezone must be string',
    });
    await expect(invoker().invoke('time.now', { colour: 'red' }, signal)).rejects.toMatchObject({
      message: 'Invalid arguments for time.now: arguments has an unexpected property "colour"',
    });
  });

  it('runs an allowed action, answers its result and audits the call', async () => {
    const result = (await invoker().invoke('time.now', { timezone: 'Europe/Berlin' }, signal)) as Record<
      string,
      string
    >;
    expect(result.timezone).toBe('Europe/Berlin');
    expect(Date.parse(result.iso)).not.toBeNaN();
    await expect(invoker().invoke('time.now', { timezone: 'Mars/Olympus' }, signal)).rejects.toMatchObject({
      message: 'Unknown time zone "Mars/Olympus": use an IANA name',
    });
    expect(await audits('action.invoke')).toContainEqual(
      expect.objectContaining({ tool: 'time.now', ok: true, arguments: { timezone: 'Europe/Berlin' } }),
    );
  });

  it('delegates to another agent as a child task of the same owner and priority, one level deeper, and defers', async () => {
    const requests: Parameters<TaskRunner['submitChild']>[0][] = [];
    const runner: TaskRunner = {
      async submitChild(request) {
        requests.push(request);
        return fakeTask({ taskId: request.taskId, status: 'pending' });
      },
      countChildren: async () => requests.length,
    };
    const result = await invoker(runner, { delegationDepth: 1 }).invoke(
      'agent.delegate',
      { agentId: 'summarizer', prompt: 'sum it up' },
      signal,
      { key: '1:0' },
    );
    expect(result).toBeInstanceOf(Deferred);
    const parentId = '00000000-0000-4000-8000-000000000002'; // the parent's id (UUID)
    expect((result as Deferred).wait).toEqual({
      kind: 'task',
      taskId: childTaskId(parentId, '1:0'),
      agentId: 'summarizer',
    });
    expect(requests).toEqual([
      expect.objectContaining({
        agentId: 'summarizer',
        input: { prompt: 'sum it up' },
        parentTaskId: parentId,
        createdBy: fakeTask({}).createdBy,
        priority: fakeTask({}).priority,
        metadata: { delegationDepth: 2, parentTaskId: 'parent-task' },
      }),
    ]);
  });

  it('stops delegation at the depth limit and at the per-task fan-out limit', async () => {
    let submitted = 0;
    const runner: TaskRunner = {
      async submitChild(request) {
        submitted += 1;
        return fakeTask({ taskId: request.taskId, status: 'pending' });
      },
      countChildren: async () => submitted,
    };
    const args = { agentId: 'clock-reader', prompt: 'again' };
    await expect(
      invoker(runner, { delegationDepth: 2 }).invoke('agent.delegate', args, signal),
    ).rejects.toMatchObject({
      reason: 'refused',
      message: 'Delegation depth limit (2) reached; answer without delegating',
    });
    expect(submitted).toBe(0);
    const one = invoker(runner);
    for (let i = 0; i < 5; i++) await one.invoke('agent.delegate', args, signal, { key: `1:${i}` });
    await expect(one.invoke('agent.delegate', args, signal, { key: '1:5' })).rejects.toMatchObject({
      message: 'This task already delegated 5 times (limit 5)',
    });
    expect(submitted).toBe(5);
  });
});
