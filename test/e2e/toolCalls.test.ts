/**
 * Issue 6, "Done when": a model that asks for tool calls, over HTTP. The allowed action runs and
 * its result reaches the model; a call outside the agent's actions is refused, audited, and the
 * model is told so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets } from '../helpers/db.js';
import { type Harness, lastUserText, startHarness, type TaskJson } from './harness.js';

const usage = { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 };

describe.each(dbTargets)('tool calls end to end on %s', (target) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(target);
    await h.createAgent({
      agentId: 'clock',
      name: 'Clock',
      role: 'You tell the time.',
      modelProvider: 'openai',
      modelName: 'test-model',
      actions: ['time.now'],
      config: { baseUrl: h.chat.url, keyless: true },
    });
    await h.createAgent({
      agentId: 'toolless',
      name: 'No tools',
      role: 'You have no tools.',
      modelProvider: 'openai',
      modelName: 'test-model',
      config: { baseUrl: h.chat.url, keyless: true },
    });
    await h.createAgent({
      agentId: 'flaky',
      name: 'Flaky',
      role: 'You tell the time.',
      modelProvider: 'openai',
      modelName: 'flaky-model',
      actions: ['time.now'],
      config: { baseUrl: h.chat.url, keyless: true },
    });
    let flakyFailures = 0;
    // Step one asks for a tool; step two answers with what the tool said.
    h.answer((body) => {
      if (
        body.model === 'flaky-model' &&
        body.messages.some((m) => m.role === 'tool') &&
        flakyFailures++ === 0
      ) {
        return { status: 500, content: 'model server hiccup' };
      }
      const tool = body.messages.find((m) => m.role === 'tool');
      if (tool) return { content: `model saw: ${tool.content}`, usage };
      if (lastUserText(body) === 'fetch something') {
        return {
          toolCalls: [{ id: 'call-1', name: 'http.get', arguments: '{"url":"http://127.0.0.1:1/"}' }],
          usage,
        };
      }
      return { toolCalls: [{ id: 'call-1', name: 'time.now', arguments: '{}' }], usage };
    });
  });
  afterAll(() => h?.close());

  it('runs an allowed action, feeds its result to the model, and sums the tokens of both steps', async () => {
    const before = Date.now();
    const done = await h.runTask('clock', 'what time is it?');
    expect(done.status).toBe('completed');
    // The model was offered exactly the agent's actions as tools.
    expect(h.chat.requests[0].tools?.map((t) => t.function.name)).toEqual(['time.now']);
    const [toolMessage] = h.toolMessages();
    const result = JSON.parse(toolMessage) as { iso: string; timezone: string };
    expect(result.timezone).toBe('UTC');
    expect(Date.parse(result.iso)).toBeGreaterThanOrEqual(before - 1000);
    expect(done.output.text).toBe(`model saw: ${toolMessage}`);
    expect(done.output.toolCalls).toEqual([
      { id: 'call-1', step: 1, name: 'time.now', arguments: {}, result },
    ]);
    expect(done.output.usage.totalTokens).toBe(14);
    const executions = (await h.t.inject(`/api/tasks/${done.taskId}/executions`)).json();
    expect(executions.items).toEqual([expect.objectContaining({ status: 'success', tokensUsed: 14 })]);
    const invoked = await h.t.system.repos.auditLogs.list({ action: 'action.invoke' });
    expect(invoked.items).toEqual([
      expect.objectContaining({
        resourceId: 'clock',
        details: expect.objectContaining({ tool: 'time.now', taskId: done.taskId, ok: true }),
      }),
    ]);
  });

  it('refuses an action outside the agent list, tells the model, and audits action.refused', async () => {
    h.chat.requests.length = 0;
    const done = await h.runTask('clock', 'fetch something');
    expect(done.status).toBe('completed');
    const [toolMessage] = h.toolMessages();
    expect(toolMessage).toBe(
      'error: Action http.get is not allowed for agent clock; allowed actions: time.now',
    );
    expect(done.output.toolCalls).toEqual([
      {
        id: 'call-1',
        step: 1,
        name: 'http.get',
        arguments: { url: 'http://127.0.0.1:1/' },
        error: 'Action http.get is not allowed for agent clock; allowed actions: time.now',
      },
    ]);
    const refusedRows = await h.t.system.repos.auditLogs.list({ action: 'action.refused' });
    expect(refusedRows.items).toEqual([
      expect.objectContaining({
        resourceType: 'agent',
        resourceId: 'clock',
        details: expect.objectContaining({ tool: 'http.get', taskId: done.taskId }),
      }),
    ]);
    // Refused means never run: no action.invoke row for http.get.
    const invoked = await h.t.system.repos.auditLogs.list({ action: 'action.invoke' });
    expect(invoked.items.map((a) => (a.details as { tool: string }).tool)).toEqual(['time.now']);
  });

  it('checks the tool calls of an agent with no allowed actions: refused, audited, fed back (SPEC §10)', async () => {
    h.chat.requests.length = 0;
    const done = await h.runTask('toolless', 'what time is it?');
    expect(done.status).toBe('completed');
    // No tools offered, yet the model asked: the call is answered with a refusal, not dropped.
    expect(h.chat.requests[0].tools).toBeUndefined();
    const refusal = 'Action time.now is not allowed for agent toolless; allowed actions: none';
    expect(h.toolMessages()).toEqual([`error: ${refusal}`]);
    expect(done.output.toolCalls).toEqual([
      { id: 'call-1', step: 1, name: 'time.now', arguments: {}, error: refusal },
    ]);
    const refusedRows = await h.t.system.repos.auditLogs.list({ action: 'action.refused' });
    expect(refusedRows.items).toContainEqual(
      expect.objectContaining({
        resourceId: 'toolless',
        details: expect.objectContaining({ tool: 'time.now', taskId: done.taskId, reason: refusal }),
      }),
    );
  });

  it('retries a failed attempt from its saved turn: the model is not asked the finished turn again', async () => {
    h.chat.requests.length = 0;
    const res = await h.t.inject({
      method: 'POST',
      url: '/api/tasks',
      payload: { agentId: 'flaky', input: { prompt: 'what time is it?' }, maxRetries: 2 },
    });
    const done = (await h.t.inject(`/api/tasks/${res.json().taskId}?wait=20`)).json() as TaskJson;
    expect(done.status).toBe('completed');
    expect(done.output.text).toMatch(/^model saw: \{"iso":/);
    const executions = (await h.t.inject(`/api/tasks/${done.taskId}/executions`)).json();
    expect(executions.items.map((e: { status: string }) => e.status)).toEqual(['failure', 'success']);
    // Turn one (no tool answer yet) was asked once; turn two twice (failed, then answered).
    const turns = h.chat.requests.filter((r) => r.model === 'flaky-model');
    expect(turns.filter((r) => !r.messages.some((m) => m.role === 'tool'))).toHaveLength(1);
    expect(turns).toHaveLength(3);
    expect(done.output.toolCalls).toEqual([expect.objectContaining({ name: 'time.now', arguments: {} })]);
  });
});
