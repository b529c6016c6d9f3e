/**
 * Issue 10, "Done when": approvals over HTTP, for tool calls and for workflow steps — approve,
 * reject, edited arguments, expiry, deciding twice (409), another user's approval (404) and a
 * viewer (403). The model server is scripted: it asks for `time.now` until it sees an answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, type Inject, injectAs, type TestCaller } from '../helpers/auth.js';
import { dbTargets } from '../helpers/db.js';
import { type Harness, startHarness, type TaskJson } from './harness.js';

interface ApprovalJson {
  approvalId: string;
  status: string;
  kind: string;
  taskId: string | null;
  runId: string | null;
  stepId: string | null;
  action: string | null;
  args: Record<string, unknown> | null;
  message: string | null;
  requestedBy: string;
  decidedBy: string | null;
  comment: string | null;
  expiresAt: string;
}

const until = async <T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 20_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe.each(dbTargets)('approvals over HTTP on %s', (target) => {
  let h: Harness;
  let alice: TestCaller;
  let bob: TestCaller;
  let asAlice: Inject;
  let asBob: Inject;
  let asViewer: Inject;

  beforeAll(async () => {
    h = await startHarness(target);
    // Expiry is swept every second by every node; a short deadline shows it.
    h.t.system.approvals.start(200);
    alice = await createCaller(h.t.system, 'user');
    bob = await createCaller(h.t.system, 'user');
    asAlice = injectAs(h.t.app, alice);
    asBob = injectAs(h.t.app, bob);
    asViewer = injectAs(h.t.app, await createCaller(h.t.system, 'viewer'));
    const agent = (agentId: string, approval: Record<string, unknown>) =>
      h.createAgent({
        agentId,
        name: agentId,
        role: 'You tell the time.',
        modelProvider: 'openai',
        modelName: agentId,
        actions: ['time.now'],
        config: { baseUrl: h.chat.url, keyless: true, approval },
      });
    await agent('asker', { actions: ['time.now'] });
    await agent('quick-no', { actions: ['time.now'], timeoutSeconds: 1 });
    await agent('quick-yes', { actions: ['time.now'], timeoutSeconds: 1, onTimeout: 'approve' });
    await h.createAgent({ agentId: 'echoer', name: 'Echo', role: 'echoes', modelProvider: 'echo' });
    h.answer((body) => {
      const tool = body.messages.find((m) => m.role === 'tool');
      if (tool) return { content: `answer: ${tool.content}` };
      return {
        toolCalls: [{ id: 'c1', name: 'time.now', arguments: JSON.stringify({ timezone: 'UTC' }) }],
      };
    });
    // PGlite start-up and migrations take long on a loaded machine.
  }, 180_000);
  afterAll(() => h?.close());

  const submit = async (as: Inject, agentId: string) => {
    const res = await as({
      method: 'POST',
      url: '/api/tasks',
      payload: { agentId, input: { prompt: 'what time is it?' }, maxRetries: 0, timeoutSeconds: 60 },
    });
    expect(res.statusCode).toBe(202);
    return res.json() as TaskJson;
  };
  const task = async (taskId: string) => (await h.t.inject(`/api/tasks/${taskId}`)).json() as TaskJson;
  const finished = (taskId: string) =>
    until(
      () => task(taskId),
      (t) => ['completed', 'failed', 'cancelled'].includes(t.status),
    );
  /** Waits until the task waits, and answers its one approval (as the owner sees it). */
  const pendingApproval = async (as: Inject, taskId: string): Promise<ApprovalJson> => {
    const t = await until(
      () => task(taskId),
      (x) => x.status === 'waiting',
    );
    expect(t.status).toBe('waiting');
    const list = (await as(`/api/approvals?taskId=${taskId}&status=pending`)).json() as {
      items: ApprovalJson[];
    };
    expect(list.items).toHaveLength(1);
    return list.items[0];
  };
  const decide = (as: Inject, approvalId: string, verb: 'approve' | 'reject', payload: object = {}) =>
    as({ method: 'POST', url: `/api/approvals/${approvalId}/${verb}`, payload });
  const audit = async (action: string, approvalId: string) =>
    (await h.t.system.repos.auditLogs.list({ action })).items.filter((a) => a.resourceId === approvalId);

  describe('tool calls', () => {
    it('holds the call until the owner approves, then runs it and asks the model again', async () => {
      const seen: Array<{ type: string; ownerId: string | null | undefined }> = [];
      const unsubscribe = h.t.system.events.subscribe(
        (e) => seen.push({ type: e.type, ownerId: e.ownerId }),
        ['approval:requested', 'approval:resolved'],
      );
      const submitted = await submit(asAlice, 'asker');
      const approval = await pendingApproval(asAlice, submitted.taskId);
      expect((await h.t.inject('/api/engine/metrics')).json().approvals.pending).toBeGreaterThanOrEqual(1);
      expect(approval).toMatchObject({
        status: 'pending',
        kind: 'tool_call',
        taskId: submitted.taskId,
        action: 'time.now',
        args: { timezone: 'UTC' },
        requestedBy: alice.user.id,
        decidedBy: null,
      });
      const res = await decide(asAlice, approval.approvalId, 'approve', { comment: 'fine' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'approved', decidedBy: alice.user.id, comment: 'fine' });
      const done = await finished(submitted.taskId);
      expect(done.status).toBe('completed');
      expect(done.output.toolCalls).toEqual([
        {
          id: 'c1',
          step: 1,
          name: 'time.now',
          arguments: { timezone: 'UTC' },
          result: expect.objectContaining({ timezone: 'UTC' }),
        },
      ]);
      expect(done.output.text).toMatch(/^answer: \{"iso":/);
      expect(await audit('approval.approve', approval.approvalId)).toHaveLength(1);
      unsubscribe();
      // Scoped to the owner: their event stream (and admins') shows them.
      expect(seen).toEqual([
        { type: 'approval:requested', ownerId: alice.user.id },
        { type: 'approval:resolved', ownerId: alice.user.id },
      ]);
    });

    it('runs edited arguments, checked against the schema, and audits both versions', async () => {
      const submitted = await submit(asAlice, 'asker');
      const approval = await pendingApproval(asAlice, submitted.taskId);
      const bad = await decide(asAlice, approval.approvalId, 'approve', { args: { timezone: 7 } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.code).toBe('VALIDATION_ERROR');
      const extra = await decide(asAlice, approval.approvalId, 'approve', { args: { zone: 'x' } });
      expect(extra.statusCode).toBe(400);
      const noArgsOnReject = await decide(asAlice, approval.approvalId, 'reject', { args: {} });
      expect(noArgsOnReject.statusCode).toBe(400);
      const ok = await decide(asAlice, approval.approvalId, 'approve', {
        args: { timezone: 'Europe/Berlin' },
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().args).toEqual({ timezone: 'Europe/Berlin' });
      const done = await finished(submitted.taskId);
      expect(done.output.toolCalls?.[0]).toMatchObject({
        arguments: { timezone: 'Europe/Berlin' },
        result: { timezone: 'Europe/Berlin' },
      });
      const [row] = await audit('approval.approve', approval.approvalId);
      expect(row.details).toMatchObject({
        originalArgs: { timezone: 'UTC' },
        args: { timezone: 'Europe/Berlin' },
        edited: true,
      });
    });

    it('feeds a rejection to the model as the tool result and lists the call as rejected', async () => {
      const submitted = await submit(asAlice, 'asker');
      const approval = await pendingApproval(asAlice, submitted.taskId);
      expect((await decide(asAlice, approval.approvalId, 'reject', { comment: 'not now' })).statusCode).toBe(
        200,
      );
      const done = await finished(submitted.taskId);
      expect(done.status).toBe('completed');
      const fed = JSON.stringify({ error: 'rejected', comment: 'not now' });
      expect(done.output.text).toBe(`answer: ${fed}`);
      expect(done.output.toolCalls).toEqual([
        {
          id: 'c1',
          step: 1,
          name: 'time.now',
          arguments: { timezone: 'UTC' },
          result: { error: 'rejected', comment: 'not now' },
          status: 'rejected',
        },
      ]);
      expect(await audit('approval.reject', approval.approvalId)).toHaveLength(1);
    });

    it('answers 409 APPROVAL_DECIDED to a second decision, 404 to another user, 403 to a viewer', async () => {
      const submitted = await submit(asAlice, 'asker');
      const approval = await pendingApproval(asAlice, submitted.taskId);
      expect((await asBob(`/api/approvals/${approval.approvalId}`)).statusCode).toBe(404);
      expect((await decide(asBob, approval.approvalId, 'approve')).statusCode).toBe(404);
      expect(((await asBob('/api/approvals')).json() as { items: ApprovalJson[] }).items).toEqual([]);
      expect((await asViewer(`/api/approvals/${approval.approvalId}`)).statusCode).toBe(200);
      const viewer = await decide(asViewer, approval.approvalId, 'approve');
      expect(viewer.statusCode).toBe(403);
      expect((await decide(asAlice, approval.approvalId, 'approve')).statusCode).toBe(200);
      const twice = await decide(h.t.inject, approval.approvalId, 'reject');
      expect(twice.statusCode).toBe(409);
      expect(twice.json().error).toMatchObject({ code: 'APPROVAL_DECIDED', details: { status: 'approved' } });
      expect((await finished(submitted.taskId)).status).toBe('completed');
    });

    it('expires by the database clock: onTimeout reject feeds a rejection, onTimeout approve runs the call', async () => {
      const no = await submit(asAlice, 'quick-no');
      const yes = await submit(asAlice, 'quick-yes');
      const [doneNo, doneYes] = await Promise.all([finished(no.taskId), finished(yes.taskId)]);
      expect(doneNo.output.toolCalls?.[0]).toMatchObject({
        status: 'rejected',
        result: { error: 'rejected' },
      });
      expect(doneYes.output.toolCalls?.[0]).toMatchObject({ result: { timezone: 'UTC' } });
      expect(doneYes.output.toolCalls?.[0]).not.toHaveProperty('status');
      for (const t of [no, yes]) {
        const [a] = ((await asAlice(`/api/approvals?taskId=${t.taskId}`)).json() as { items: ApprovalJson[] })
          .items;
        expect(a).toMatchObject({ status: 'expired', decidedBy: null });
        expect(await audit('approval.expire', a.approvalId)).toHaveLength(1);
      }
    });

    it('cancels the pending approval of a cancelled waiting task', async () => {
      const submitted = await submit(asAlice, 'asker');
      const approval = await pendingApproval(asAlice, submitted.taskId);
      const res = await asAlice({ method: 'POST', url: `/api/tasks/${submitted.taskId}/cancel` });
      expect(res.json().status).toBe('cancelled');
      expect((await asAlice(`/api/approvals/${approval.approvalId}`)).json().status).toBe('cancelled');
    });
  });

  describe('workflow steps', () => {
    beforeAll(async () => {
      const workflow = (workflowId: string, review: Record<string, unknown>) =>
        h.t.inject({
          method: 'POST',
          url: '/api/workflows',
          payload: {
            workflowId,
            name: workflowId,
            definition: {
              steps: [
                { id: 'review', type: 'approval', message: 'Publish {{input.topic}}?', ...review },
                {
                  id: 'publish',
                  agentId: 'echoer',
                  dependsOn: ['review'],
                  input: { prompt: 'publishing: {{steps.review.output.comment}}' },
                },
              ],
            },
          },
        });
      expect((await workflow('gated', {})).statusCode).toBe(201);
      expect((await workflow('gated-auto', { timeoutSeconds: 1, onTimeout: 'approve' })).statusCode).toBe(
        201,
      );
    });

    const startRun = async (workflowId: string) => {
      const res = await asAlice({
        method: 'POST',
        url: `/api/workflows/${workflowId}/runs`,
        payload: { input: { topic: 'tides' } },
      });
      expect(res.statusCode).toBe(202);
      return res.json() as { runId: string };
    };
    const run = async (runId: string) =>
      (await h.t.inject(`/api/workflow-runs/${runId}`)).json() as {
        status: string;
        steps: Array<{
          stepId: string;
          status: string;
          output: Record<string, unknown> | null;
          error: string | null;
        }>;
      };
    const runEnded = (runId: string) =>
      until(
        () => run(runId),
        (r) => r.status !== 'running',
      );
    const stepApproval = async (runId: string) => {
      const list = await until(
        async () =>
          ((await asAlice(`/api/approvals?runId=${runId}`)).json() as { items: ApprovalJson[] }).items,
        (items) => items.length > 0,
      );
      return list[0];
    };

    it('waits with the run running and the step waiting; approval feeds {approved, comment, decidedBy} on', async () => {
      const { runId } = await startRun('gated');
      const approval = await stepApproval(runId);
      expect(approval).toMatchObject({
        kind: 'workflow_step',
        runId,
        stepId: 'review',
        message: 'Publish tides?',
        requestedBy: alice.user.id,
        status: 'pending',
      });
      const waiting = await run(runId);
      expect(waiting.status).toBe('running');
      expect(waiting.steps.find((s) => s.stepId === 'review')?.status).toBe('waiting');
      expect((await decide(asBob, approval.approvalId, 'approve')).statusCode).toBe(404);
      expect((await decide(asViewer, approval.approvalId, 'approve')).statusCode).toBe(403);
      expect((await decide(asAlice, approval.approvalId, 'approve', { args: { x: 1 } })).statusCode).toBe(
        400,
      );
      const ok = await decide(asAlice, approval.approvalId, 'approve', { comment: 'ship it' });
      expect(ok.statusCode).toBe(200);
      expect((await decide(asAlice, approval.approvalId, 'approve')).statusCode).toBe(409);
      const done = await runEnded(runId);
      expect(done.status).toBe('completed');
      expect(done.steps.find((s) => s.stepId === 'review')?.output).toEqual({
        approved: true,
        comment: 'ship it',
        decidedBy: alice.user.id,
      });
      expect(done.steps.find((s) => s.stepId === 'publish')?.output).toMatchObject({
        text: 'publishing: ship it',
      });
    });

    it('fails the step and the run on rejection', async () => {
      const { runId } = await startRun('gated');
      const approval = await stepApproval(runId);
      expect((await decide(asAlice, approval.approvalId, 'reject', { comment: 'no' })).statusCode).toBe(200);
      const done = await runEnded(runId);
      expect(done.status).toBe('failed');
      expect(done.steps.find((s) => s.stepId === 'review')).toMatchObject({
        status: 'failed',
        error: 'approval rejected: no',
      });
      expect(done.steps.find((s) => s.stepId === 'publish')?.status).toBe('skipped');
    });

    it('decides an expired step by its onTimeout (approve: the run goes on, decidedBy null)', async () => {
      const { runId } = await startRun('gated-auto');
      const done = await runEnded(runId);
      expect(done.status).toBe('completed');
      expect(done.steps.find((s) => s.stepId === 'review')?.output).toEqual({
        approved: true,
        comment: null,
        decidedBy: null,
      });
      const approval = await stepApproval(runId);
      expect(approval.status).toBe('expired');
    });
  });

  it('refuses config.approval.actions outside the agent’s actions (400)', async () => {
    const res = await h.t.inject({
      method: 'POST',
      url: '/api/agents',
      payload: {
        agentId: 'bad-approval',
        name: 'x',
        role: 'x',
        modelProvider: 'echo',
        actions: ['time.now'],
        config: { approval: { actions: ['http.get'] } },
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/http\.get/);
  });
});
