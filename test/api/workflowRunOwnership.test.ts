/**
 * Workflow runs have an owner (SPEC §10 "Ownership everywhere", issue #9 item 3): a `user` sees
 * and cancels only their own runs, a `viewer` sees every run and changes none, and the step tasks
 * of a run belong to the run's owner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, injectAs, type TestCaller } from '../helpers/auth.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe.each(dbTargets)('workflow run ownership on %s', (target) => {
  let t: TestSystem;
  let alice: TestCaller;
  let bob: TestCaller;
  let viewer: TestCaller;
  beforeAll(async () => {
    t = await createTestSystem(target);
    await t.system.agents.create({ agentId: 'echo-w', name: 'Echo', role: 'echo', modelProvider: 'echo' });
    await t.system.workflows.create({
      workflowId: 'pair',
      name: 'Pair',
      definition: {
        steps: [
          { id: 'first', agentId: 'echo-w', input: { prompt: 'about {{input.topic}}' } },
          { id: 'second', agentId: 'echo-w', dependsOn: ['first'], input: { prompt: 'more' } },
        ],
      },
    });
    alice = await createCaller(t.system, 'user');
    bob = await createCaller(t.system, 'user');
    viewer = await createCaller(t.system, 'viewer');
  });
  afterAll(() => t.close());

  const startRun = async (caller: TestCaller) => {
    const res = await injectAs(
      t.app,
      caller,
    )({
      method: 'POST',
      url: '/api/workflows/pair/runs',
      payload: { input: { topic: 'owls' } },
    });
    expect(res.statusCode).toBe(202);
    return res.json() as { runId: string; createdBy: string; steps: Array<{ taskId: string | null }> };
  };

  it("answers another user's run exactly like a missing one, and lists only the caller's own", async () => {
    const run = await startRun(alice);
    expect(run.createdBy).toBe(alice.user.id);
    const asBob = injectAs(t.app, bob);
    const read = await asBob(`/api/workflow-runs/${run.runId}`);
    expect(read.statusCode).toBe(404);
    expect(read.json().error.code).toBe('WORKFLOW_RUN_NOT_FOUND');
    const cancel = await asBob({ method: 'POST', url: `/api/workflow-runs/${run.runId}/cancel` });
    expect(cancel.statusCode).toBe(404);
    expect((await injectAs(t.app, alice)(`/api/workflow-runs/${run.runId}`)).json().status).toBe('running');

    const bobs = await startRun(bob);
    const bobList = (await asBob('/api/workflow-runs?workflowId=pair')).json();
    expect(bobList.items.map((r: { runId: string }) => r.runId)).toEqual([bobs.runId]);
    expect(bobList.total).toBe(1);
    const aliceList = (await injectAs(t.app, alice)('/api/workflow-runs')).json();
    expect(aliceList.items.map((r: { runId: string }) => r.runId)).toContain(run.runId);
    expect(aliceList.items.map((r: { runId: string }) => r.runId)).not.toContain(bobs.runId);
  });

  it('gives the step tasks of a run to the run owner, so other users cannot see them either', async () => {
    const run = await startRun(alice);
    const taskId = run.steps[0].taskId as string;
    expect(taskId).toBeTruthy();
    expect((await t.system.queue.get(taskId)).createdBy).toBe(alice.user.id);
    expect((await injectAs(t.app, bob)(`/api/tasks/${taskId}`)).statusCode).toBe(404);
    expect((await injectAs(t.app, alice)(`/api/tasks/${taskId}`)).statusCode).toBe(200);
  });

  it('lets a viewer read and list every run but cancel none (403)', async () => {
    const run = await startRun(alice);
    const asViewer = injectAs(t.app, viewer);
    expect((await asViewer(`/api/workflow-runs/${run.runId}`)).statusCode).toBe(200);
    const listed = (await asViewer('/api/workflow-runs?limit=500')).json();
    expect(listed.items.map((r: { runId: string }) => r.runId)).toContain(run.runId);
    const cancel = await asViewer({ method: 'POST', url: `/api/workflow-runs/${run.runId}/cancel` });
    expect(cancel.statusCode).toBe(403);
    expect((await injectAs(t.app, alice)(`/api/workflow-runs/${run.runId}`)).json().status).toBe('running');
  });

  it('lets the owner cancel their run, audited, cancelling its step tasks', async () => {
    const run = await startRun(alice);
    const res = await injectAs(
      t.app,
      alice,
    )({ method: 'POST', url: `/api/workflow-runs/${run.runId}/cancel` });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('cancelled');
    expect((await t.system.queue.get(run.steps[0].taskId as string)).status).toBe('cancelled');
    const audit = await t.system.repos.auditLogs.list({ action: 'workflow.cancel' });
    expect(audit.items.map((a) => a.resourceId)).toContain(run.runId);
  });

  it('shows a run without an owner only to viewers and admins', async () => {
    const orphan = await t.system.workflowEngine.startRun('pair', { topic: 'x' }, null);
    expect((await injectAs(t.app, alice)(`/api/workflow-runs/${orphan.runId}`)).statusCode).toBe(404);
    expect((await injectAs(t.app, viewer)(`/api/workflow-runs/${orphan.runId}`)).statusCode).toBe(200);
    expect((await t.inject(`/api/workflow-runs/${orphan.runId}`)).statusCode).toBe(200);
  });
});
