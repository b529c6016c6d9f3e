import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowEngine } from '../../../src/core/workflows/workflowEngine.js';
import type { WorkflowRun } from '../../../src/repositories/workflowRuns.js';
import type { WorkflowStep } from '../../../src/repositories/workflows.js';
import { dbTargets, quietLogger } from '../../helpers/db.js';
import { createTestSystem, type TestSystem } from '../../helpers/system.js';
import { FakeQueue } from './fakeQueue.js';

/** Two parallel steps feeding a third. */
const diamond: WorkflowStep[] = [
  { id: 'research', agentId: 'echo-a', input: { prompt: 'facts about {{input.topic}}' } },
  { id: 'outline', agentId: 'echo-b', input: { prompt: 'outline for {{input.topic}}' } },
  {
    id: 'write',
    agentId: 'echo-a',
    dependsOn: ['research', 'outline'],
    input: { prompt: 'write using [{{steps.research.output.text}}] and [{{steps.outline.output.text}}]' },
  },
];

describe.each(dbTargets)('workflow engine on %s', (target) => {
  let t: TestSystem;
  let counter = 0;
  beforeAll(async () => {
    t = await createTestSystem(target);
    for (const agentId of ['echo-a', 'echo-b', 'echo-bad']) {
      await t.system.agents.create({ agentId, name: agentId, role: 'echo', modelProvider: 'echo' });
    }
  });
  afterAll(() => t.close());

  const engineWith = (queue: FakeQueue) => {
    const engine = new WorkflowEngine({
      db: t.system.db,
      workflows: t.system.repos.workflows,
      runner: queue,
      events: t.system.events,
      logger: quietLogger,
    });
    queue.engine = engine;
    return engine;
  };
  const workflow = async (steps: WorkflowStep[]) => {
    const workflowId = `wf-${++counter}`;
    await t.system.workflows.create({ workflowId, name: workflowId, definition: { steps } });
    return workflowId;
  };
  const settled = async (engine: WorkflowEngine, runId: string): Promise<WorkflowRun> => {
    for (let i = 0; i < 200; i++) {
      const run = await engine.getRun(runId);
      if (run.status !== 'running') return run;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('run did not finish');
  };
  const stepsOf = (run: WorkflowRun) => Object.fromEntries(run.steps.map((s) => [s.stepId, s.status]));

  it('runs two independent steps in parallel, then the third with both outputs in its input', async () => {
    const queue = new FakeQueue(true);
    const engine = engineWith(queue);
    const id = await workflow(diamond);
    const seen: string[] = [];
    const unsubscribe = t.system.events.subscribe((e) => {
      if (e.payload.workflowId === id) seen.push(`${e.type} ${e.payload.stepId ?? ''}`.trim());
    });
    const run = await engine.startRun(id, { topic: 'tides' }, null);
    expect(queue.stepIds()).toEqual(['research', 'outline']);
    expect(stepsOf(run)).toEqual({ research: 'running', outline: 'running', write: 'pending' });
    await queue.finish(queue.submitted[0].taskId);
    expect(queue.stepIds()).toEqual(['research', 'outline']);
    await queue.finish(queue.submitted[1].taskId);
    expect(queue.submitted[2].input).toEqual({
      prompt: 'write using [facts about tides] and [outline for tides]',
    });
    expect(queue.submitted[2]).toMatchObject({
      agentId: 'echo-a',
      taskId: `wf_${run.runId.replace(/-/g, '')}_write`,
      metadata: { workflowId: id, workflowRunId: run.runId, workflowStepId: 'write' },
    });
    await queue.finish(queue.submitted[2].taskId);
    const done = await engine.getRun(run.runId);
    expect(done.status).toBe('completed');
    expect(done.output).toEqual({
      write: { text: 'write using [facts about tides] and [outline for tides]' },
    });
    expect(done.steps.find((s) => s.stepId === 'outline')).toMatchObject({
      status: 'completed',
      output: { text: 'outline for tides' },
      input: { prompt: 'outline for tides' },
    });
    unsubscribe();
    expect(seen).toEqual([
      'workflow:run:started',
      'workflow:step:started research',
      'workflow:step:started outline',
      'workflow:step:completed research',
      'workflow:step:completed outline',
      'workflow:step:started write',
      'workflow:step:completed write',
      'workflow:run:completed',
    ]);
  });

  it('fails fast: a failed step cancels the running ones and skips the rest', async () => {
    const queue = new FakeQueue(true);
    queue.failing.add('echo-bad');
    const engine = engineWith(queue);
    const id = await workflow([
      { id: 'a', agentId: 'echo-bad', input: { prompt: 'x' } },
      { id: 'b', agentId: 'echo-a', input: { prompt: 'y' } },
      { id: 'c', agentId: 'echo-a', dependsOn: ['a', 'b'], input: { prompt: '{{steps.a.output.text}}' } },
    ]);
    const run = await engine.startRun(id, {}, null);
    await queue.finish(queue.submitted[0].taskId);
    const failed = await engine.getRun(run.runId);
    expect(failed.status).toBe('failed');
    expect(failed.error).toBe('Step a failed: agent echo-bad failed');
    expect(stepsOf(failed)).toEqual({ a: 'failed', b: 'cancelled', c: 'skipped' });
    expect(queue.cancelled).toEqual([queue.submitted[1].taskId]);
  });

  it('goes on past a step marked continueOnError, skipping only what depends on it', async () => {
    const queue = new FakeQueue();
    queue.failing.add('echo-bad');
    const engine = engineWith(queue);
    const id = await workflow([
      { id: 'flaky', agentId: 'echo-bad', continueOnError: true, input: { prompt: 'x' } },
      { id: 'solid', agentId: 'echo-a', input: { prompt: 'y' } },
      { id: 'afterFlaky', agentId: 'echo-a', dependsOn: ['flaky'], input: { prompt: 'z' } },
      {
        id: 'afterSolid',
        agentId: 'echo-a',
        dependsOn: ['solid'],
        input: { prompt: '{{steps.solid.output.text}}!' },
      },
    ]);
    const run = await settled(engine, (await engine.startRun(id, {}, null)).runId);
    expect(run.status).toBe('completed');
    expect(stepsOf(run)).toEqual({
      flaky: 'failed',
      solid: 'completed',
      afterFlaky: 'skipped',
      afterSolid: 'completed',
    });
    expect(run.output).toEqual({ afterSolid: { text: 'y!' } });
  });

  it('cancels a run: running step tasks are cancelled, and their late results are ignored', async () => {
    const queue = new FakeQueue(true);
    const engine = engineWith(queue);
    const id = await workflow(diamond);
    const run = await engine.startRun(id, { topic: 'x' }, null);
    const cancelled = await engine.cancel(run.runId);
    expect(cancelled.status).toBe('cancelled');
    expect(stepsOf(cancelled)).toEqual({ research: 'cancelled', outline: 'cancelled', write: 'skipped' });
    expect(queue.cancelled.sort()).toEqual(queue.submitted.map((r) => r.taskId).sort());
    await engine.onTaskFinished(queue.submitted[0].taskId, 'completed', { text: 'late' }, null);
    expect(stepsOf(await engine.getRun(run.runId)).research).toBe('cancelled');
    await expect(engine.cancel(run.runId)).rejects.toMatchObject({
      statusCode: 409,
      code: 'WORKFLOW_RUN_FINISHED',
    });
  });

  it('continues a run after a restart: a new engine resubmits running steps and finishes the run', async () => {
    const before = new FakeQueue(true);
    const id = await workflow(diamond);
    const run = await engineWith(before).startRun(id, { topic: 'restart' }, null);
    expect(before.stepIds()).toEqual(['research', 'outline']);
    // The old engine and its queue are gone. The new queue already finished `research` while no
    // engine listened; `outline` never reached it.
    const after = new FakeQueue();
    after.tasks.set(before.submitted[0].taskId, {
      request: before.submitted[0],
      status: 'completed',
      output: { text: 'facts about restart' },
    });
    const engine = engineWith(after);
    expect(await engine.resume()).toBeGreaterThanOrEqual(1);
    const done = await settled(engine, run.runId);
    expect(done.status).toBe('completed');
    expect(after.stepIds()).toEqual(['outline', 'write']);
    expect(done.output).toEqual({
      write: { text: 'write using [facts about restart] and [outline for restart]' },
    });
  });

  it('refuses a run whose input lacks a value the templates read, and creates no run', async () => {
    const queue = new FakeQueue();
    const engine = engineWith(queue);
    const id = await workflow(diamond);
    await expect(engine.startRun(id, { subject: 'x' }, null)).rejects.toMatchObject({
      statusCode: 400,
      message: 'Run input is missing topic (step research reads it)',
    });
    expect(queue.submitted).toEqual([]);
  });

  it('fails a step whose task cannot be submitted, or whose input cannot be rendered', async () => {
    const queue = new FakeQueue();
    queue.refusing.add('echo-b');
    const engine = engineWith(queue);
    const refused = await settled(
      engine,
      (await engine.startRun(await workflow(diamond), { topic: 't' }, null)).runId,
    );
    expect(refused.status).toBe('failed');
    expect(refused.steps.find((s) => s.stepId === 'outline')?.error).toBe(
      'could not submit: Agent echo-b not found',
    );
    const id = await workflow([
      { id: 'a', agentId: 'echo-a', input: { prompt: 'p' } },
      { id: 'b', agentId: 'echo-a', dependsOn: ['a'], input: { prompt: '{{steps.a.output.missing}}' } },
    ]);
    const broken = await settled(engine, (await engine.startRun(id, {}, null)).runId);
    expect(broken.status).toBe('failed');
    expect(broken.steps[1]).toMatchObject({
      status: 'failed',
      error: 'input template: {{steps.a.output.missing}}: no value at "missing"',
    });
  });
});
