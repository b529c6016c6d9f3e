/**
 * Issue 6, "Done when": a three-step workflow (two parallel steps feeding a third) runs end to end
 * over HTTP, each step a task on the real queue with `echo` agents; a cycle is rejected at save;
 * a running run can be cancelled, which cancels its step's task.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets } from '../helpers/db.js';
import { type Harness, startHarness, type TaskJson } from './harness.js';

interface StepJson {
  stepId: string;
  status: string;
  taskId: string | null;
  input: { prompt?: string };
  output: { text?: string } | null;
  startedAt: string | null;
  completedAt: string | null;
}
interface RunJson {
  runId: string;
  status: string;
  output: Record<string, { text: string }> | null;
  error: string | null;
  steps: StepJson[];
}

const fanIn = {
  workflowId: 'fan-in',
  name: 'Fan in',
  definition: {
    steps: [
      { id: 'a', agentId: 'echo', input: { prompt: 'alpha on {{input.topic}}' } },
      { id: 'b', agentId: 'echo', input: { prompt: 'beta on {{input.topic}}' } },
      {
        id: 'c',
        agentId: 'echo',
        dependsOn: ['a', 'b'],
        input: { prompt: 'A={{steps.a.output.text}} B={{steps.b.output.text}}' },
      },
    ],
  },
};

describe.each(dbTargets)('workflow runs end to end on %s', (target) => {
  let h: Harness;
  const held: Array<() => void> = [];
  beforeAll(async () => {
    h = await startHarness(target);
    await h.createAgent({ agentId: 'echo', name: 'Echo', role: 'echoes', modelProvider: 'echo' });
    await h.createAgent({
      agentId: 'stuck',
      name: 'Stuck',
      role: 'r',
      modelProvider: 'openai',
      config: { baseUrl: h.chat.url, keyless: true },
    });
    // Holds every request open until the test releases it: a step that stays running.
    h.answer(() => new Promise((resolve) => held.push(() => resolve({ content: 'late' }))));
  });
  afterAll(async () => {
    for (const release of held) release();
    await h?.close();
  });

  const post = (url: string, payload: object) => h.t.inject({ method: 'POST', url, payload });
  const getRun = async (runId: string) => (await h.t.inject(`/api/workflow-runs/${runId}`)).json() as RunJson;
  async function until(runId: string, done: (run: RunJson) => boolean): Promise<RunJson> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const run = await getRun(runId);
      if (done(run) || Date.now() > deadline) return run;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it("runs two parallel steps and feeds both outputs into the third step's input", async () => {
    expect((await post('/api/workflows', fanIn)).statusCode).toBe(201);
    const started = await post('/api/workflows/fan-in/runs', { input: { topic: 'tides' } });
    expect(started.statusCode).toBe(202);
    const run = await until(started.json().runId, (r) => r.status !== 'running');
    expect(run.status).toBe('completed');
    const step = Object.fromEntries(run.steps.map((s) => [s.stepId, s]));
    expect(step.a).toMatchObject({ status: 'completed', output: { text: 'alpha on tides' } });
    expect(step.b).toMatchObject({ status: 'completed', output: { text: 'beta on tides' } });
    expect(step.c.input).toEqual({ prompt: 'A=alpha on tides B=beta on tides' });
    expect(step.c).toMatchObject({
      status: 'completed',
      output: { text: 'A=alpha on tides B=beta on tides' },
    });
    expect(run.output).toEqual({ c: expect.objectContaining({ text: 'A=alpha on tides B=beta on tides' }) });
    // Each step ran as its own task on the queue; c only after both a and b had finished.
    const tasks: Record<string, TaskJson & { completedAt: string; startedAt: string }> = {};
    for (const s of run.steps) tasks[s.stepId] = (await h.t.inject(`/api/tasks/${s.taskId}`)).json();
    expect(Object.values(tasks).map((t) => t.status)).toEqual(['completed', 'completed', 'completed']);
    expect(tasks.c.output.text).toBe('A=alpha on tides B=beta on tides');
    for (const dep of [tasks.a, tasks.b]) {
      expect(Date.parse(tasks.c.startedAt)).toBeGreaterThanOrEqual(Date.parse(dep.completedAt));
    }
  });

  it('rejects a workflow with a cycle at save with 400 naming the cycle, and stores nothing', async () => {
    const res = await post('/api/workflows', {
      workflowId: 'loop',
      name: 'Loop',
      definition: {
        steps: [
          { id: 'a', agentId: 'echo', input: {}, dependsOn: ['b'] },
          { id: 'b', agentId: 'echo', input: {}, dependsOn: ['a'] },
        ],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'VALIDATION_ERROR',
      message: 'Steps form a cycle: a → b → a',
    });
    expect((await h.t.inject('/api/workflows/loop')).statusCode).toBe(404);
  });

  it("cancels a running run and its step's task", async () => {
    await post('/api/workflows', {
      workflowId: 'slow',
      name: 'Slow',
      definition: {
        steps: [
          { id: 'wait', agentId: 'stuck', input: { prompt: 'take your time' } },
          { id: 'after', agentId: 'echo', dependsOn: ['wait'], input: { prompt: 'never' } },
        ],
      },
    });
    const { runId } = (await post('/api/workflows/slow/runs', {})).json() as RunJson;
    const deadline = Date.now() + 10_000;
    while (held.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(held).toHaveLength(1); // the step's task is running, waiting for the model
    const cancelled = await post(`/api/workflow-runs/${runId}/cancel`, {});
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({
      status: 'cancelled',
      steps: [
        expect.objectContaining({ stepId: 'wait', status: 'cancelled' }),
        expect.objectContaining({ stepId: 'after', status: 'skipped', taskId: null }),
      ],
    });
    const taskId = (cancelled.json() as RunJson).steps[0].taskId;
    const task = (await h.t.inject(`/api/tasks/${taskId}?wait=10`)).json() as TaskJson;
    expect(task.status).toBe('cancelled');
    expect((await post(`/api/workflow-runs/${runId}/cancel`, {})).statusCode).toBe(409);
    expect((await getRun(runId)).status).toBe('cancelled');
  });
});
