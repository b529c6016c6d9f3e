import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeQueue } from '../core/workflows/fakeQueue.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

const diamond = {
  workflowId: 'brief',
  name: 'Research brief',
  description: 'two parallel steps feeding a third',
  definition: {
    steps: [
      { id: 'research', agentId: 'echo-a', input: { prompt: 'facts about {{input.topic}}' } },
      { id: 'outline', agentId: 'echo-a', input: { prompt: 'outline of {{input.topic}}' } },
      {
        id: 'write',
        agentId: 'echo-a',
        dependsOn: ['research', 'outline'],
        input: { prompt: '{{steps.research.output.text}} + {{steps.outline.output.text}}' },
      },
    ],
  },
};

describe.each(dbTargets)('workflows API on %s', (target) => {
  let t: TestSystem;
  const queue = new FakeQueue();
  beforeAll(async () => {
    t = await createTestSystem(target, {}, { workflowRunner: queue });
    queue.engine = t.system.workflowEngine!;
    await t.system.agents.create({ agentId: 'echo-a', name: 'Echo', role: 'echo', modelProvider: 'echo' });
  });
  afterAll(async () => {
    await t.close();
  });
  const send = (method: 'POST' | 'PUT', url: string, payload: unknown, on = t) =>
    on.inject({ method, url, payload: payload as object });
  const audited = async (action: string) =>
    (await t.system.repos.auditLogs.list({ action })).items.map((a) => a.resourceId);

  it('creates, lists, gets, replaces and deletes a workflow, auditing each change', async () => {
    const created = await send('POST', '/api/workflows', diamond);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ workflowId: 'brief', version: 1, definition: diamond.definition });
    expect((await send('POST', '/api/workflows', diamond)).json().error.code).toBe('WORKFLOW_EXISTS');
    expect((await t.inject('/api/workflows')).json()).toMatchObject({
      total: 1,
      items: [{ workflowId: 'brief' }],
    });
    const replaced = await send('PUT', '/api/workflows/brief', {
      name: 'Brief v2',
      definition: diamond.definition,
    });
    expect(replaced.json()).toMatchObject({ name: 'Brief v2', version: 2, description: null });
    expect((await t.inject('/api/workflows/brief')).json().name).toBe('Brief v2');
    await send('POST', '/api/workflows', { ...diamond, workflowId: 'doomed' });
    expect((await t.inject({ method: 'DELETE', url: '/api/workflows/doomed' })).statusCode).toBe(204);
    expect((await t.inject('/api/workflows/doomed')).statusCode).toBe(404);
    expect(await audited('workflow.create')).toEqual(expect.arrayContaining(['brief', 'doomed']));
    expect(await audited('workflow.update')).toEqual(['brief']);
    expect(await audited('workflow.delete')).toEqual(['doomed']);
  });

  it('rejects a cycle, an unknown agent and an unknown step reference with 400 naming the problem', async () => {
    const steps = (list: unknown[]) => ({ workflowId: 'bad', name: 'bad', definition: { steps: list } });
    const cycle = await send(
      'POST',
      '/api/workflows',
      steps([
        { id: 'a', agentId: 'echo-a', input: {}, dependsOn: ['c'] },
        { id: 'b', agentId: 'echo-a', input: {}, dependsOn: ['a'] },
        { id: 'c', agentId: 'echo-a', input: {}, dependsOn: ['b'] },
      ]),
    );
    expect(cycle.statusCode).toBe(400);
    expect(cycle.json().error).toMatchObject({
      code: 'VALIDATION_ERROR',
      message: 'Steps form a cycle: a → c → b → a',
    });
    const agent = await send('POST', '/api/workflows', steps([{ id: 'a', agentId: 'ghost', input: {} }]));
    expect(agent.json().error).toMatchObject({
      code: 'VALIDATION_ERROR',
      message: 'Step a uses unknown agent "ghost"',
    });
    const dep = await send(
      'POST',
      '/api/workflows',
      steps([{ id: 'a', agentId: 'echo-a', input: {}, dependsOn: ['zz'] }]),
    );
    expect(dep.json().error.message).toBe('Step a depends on unknown step "zz"');
    const ref = await send(
      'POST',
      '/api/workflows',
      steps([{ id: 'a', agentId: 'echo-a', input: { prompt: '{{steps.nope.output.text}}' } }]),
    );
    expect(ref.json().error.message).toBe('Step a reads the output of unknown step "nope"');
    const notDep = await send(
      'POST',
      '/api/workflows',
      steps([
        { id: 'a', agentId: 'echo-a', input: {} },
        { id: 'b', agentId: 'echo-a', input: { prompt: '{{steps.a.output.text}}' } },
      ]),
    );
    expect(notDep.json().error.message).toContain('does not depend on it');
    const dup = await send(
      'POST',
      '/api/workflows',
      steps([
        { id: 'a', agentId: 'echo-a', input: {} },
        { id: 'a', agentId: 'echo-a', input: {} },
      ]),
    );
    expect(dup.json().error.message).toBe('Step id "a" is used twice');
    const extra = await send('POST', '/api/workflows', {
      ...steps([{ id: 'a', agentId: 'echo-a', input: {} }]),
      x: 1,
    });
    expect(extra.json().error).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'x' } });
    expect((await t.inject('/api/workflows/bad')).statusCode).toBe(404);
  });

  it('starts a run (202), reports per-step status and outputs, and refuses to cancel a finished run', async () => {
    const started = await send('POST', '/api/workflows/brief/runs', { input: { topic: 'tides' } });
    expect(started.statusCode).toBe(202);
    const runId = started.json().runId as string;
    let run = started.json();
    for (let i = 0; i < 100 && run.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      run = (await t.inject(`/api/workflow-runs/${runId}`)).json();
    }
    expect(run).toMatchObject({ status: 'completed', workflowId: 'brief', workflowVersion: 2 });
    expect(run.steps.map((s: { stepId: string; status: string }) => [s.stepId, s.status])).toEqual([
      ['research', 'completed'],
      ['outline', 'completed'],
      ['write', 'completed'],
    ]);
    expect(run.steps[2].input).toEqual({ prompt: 'facts about tides + outline of tides' });
    expect(run.output).toEqual({ write: { text: 'facts about tides + outline of tides' } });
    const cancel = await send('POST', `/api/workflow-runs/${runId}/cancel`, {});
    expect(cancel.statusCode).toBe(409);
    expect(await audited('workflow.run')).toContain('brief');
    expect((await t.inject('/api/workflow-runs/not-a-run')).statusCode).toBe(404);
    expect((await send('POST', '/api/workflows/brief/runs', { input: {} })).json().error.message).toBe(
      'Run input is missing topic (step research reads it)',
    );
  });

  it('cancels a running run (200), cancelling its step tasks, and audits it; the workflow cannot be deleted meanwhile', async () => {
    queue.hold = true;
    try {
      const runId = (await send('POST', '/api/workflows/brief/runs', { input: { topic: 'x' } })).json().runId;
      const running = queue.submitted.filter((r) => r.metadata.workflowRunId === runId).map((r) => r.taskId);
      expect(running).toHaveLength(2);
      const busy = await t.inject({ method: 'DELETE', url: '/api/workflows/brief' });
      expect(busy.statusCode).toBe(409);
      expect(busy.json().error.code).toBe('WORKFLOW_RUNNING');
      const cancel = await send('POST', `/api/workflow-runs/${runId}/cancel`, {});
      expect(cancel.statusCode).toBe(200);
      expect(cancel.json()).toMatchObject({ status: 'cancelled', error: 'run cancelled' });
      expect(queue.cancelled).toEqual(expect.arrayContaining(running));
      expect(await audited('workflow.cancel')).toContain(runId);
    } finally {
      queue.hold = false;
    }
  });
});
