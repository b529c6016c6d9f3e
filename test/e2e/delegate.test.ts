/**
 * Issue 6, "Done when": `agent.delegate` over the real queue. A parent agent's model asks for a
 * delegation; the child (an echo agent) runs as its own task linked to the parent, and its output
 * reaches the parent's model. An agent that keeps delegating to itself stops at the depth limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets } from '../helpers/db.js';
import { type Harness, startHarness, type TaskJson } from './harness.js';

describe.each(dbTargets)('agent.delegate end to end on %s', (target) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(target);
    await h.createAgent({ agentId: 'child', name: 'Child', role: 'echoes', modelProvider: 'echo' });
    for (const [agentId, config] of [
      ['parent', {}],
      ['looper', { maxDelegationDepth: 2 }],
    ] as const) {
      await h.createAgent({
        agentId,
        name: agentId,
        role: 'You delegate.',
        modelProvider: 'openai',
        modelName: agentId, // tells the chat server which script to follow
        actions: ['agent.delegate'],
        config: { baseUrl: h.chat.url, keyless: true, ...config },
      });
    }
    h.answer((body) => {
      const tool = body.messages.find((m) => m.role === 'tool');
      if (tool) return { content: `${body.model} got: ${tool.content}` };
      const args =
        body.model === 'parent'
          ? { agentId: 'child', prompt: 'hello child' }
          : { agentId: 'looper', prompt: 'again' };
      return { toolCalls: [{ id: 'd1', name: 'agent.delegate', arguments: JSON.stringify(args) }] };
    });
  });
  afterAll(() => h?.close());

  const tasksOf = async (agentId: string) =>
    ((await h.t.inject(`/api/tasks?agentId=${agentId}&limit=50`)).json() as { items: TaskJson[] }).items;

  it("returns the child's output to the parent, and the child task links to its parent", async () => {
    const done = await h.runTask('parent', 'ask the child');
    expect(done.status).toBe('completed');
    const [child] = await tasksOf('child');
    expect(child).toMatchObject({
      status: 'completed',
      parentTaskId: done.id,
      metadata: { delegationDepth: 1, parentTaskId: done.taskId },
      output: { text: 'hello child' },
    });
    const result = { taskId: child.taskId, agentId: 'child', text: 'hello child' };
    expect(h.toolMessages()).toEqual([JSON.stringify(result)]);
    expect(done.output.toolCalls).toEqual([
      {
        id: 'd1',
        step: 1,
        name: 'agent.delegate',
        arguments: { agentId: 'child', prompt: 'hello child' },
        result,
      },
    ]);
    expect(done.output.text).toBe(`parent got: ${JSON.stringify(result)}`);
  });

  it('stops a chain that keeps delegating at the depth limit with a refusal the model sees', async () => {
    h.chat.requests.length = 0;
    const done = await h.runTask('looper', 'start the chain');
    expect(done.status).toBe('completed');
    // Depth 0 (this task) → 1 → 2; the task at depth 2 may not start a third level.
    const chain = await tasksOf('looper');
    expect(chain).toHaveLength(3);
    const deepest = chain.find((t) => t.metadata.delegationDepth === 2)!;
    const middle = chain.find((t) => t.metadata.delegationDepth === 1)!;
    expect(middle.parentTaskId).toBe(done.id);
    expect(deepest.parentTaskId).toBe(middle.id);
    const refusal = 'error: Delegation depth limit (2) reached; answer without delegating';
    expect(h.toolMessages()).toContain(refusal);
    expect(deepest.output.toolCalls).toEqual([
      expect.objectContaining({ name: 'agent.delegate', error: expect.stringContaining('depth limit (2)') }),
    ]);
    // The refusal travelled back up the chain inside each level's answer.
    expect(done.output.text).toContain('Delegation depth limit (2) reached');
    const audited = await h.t.system.repos.auditLogs.list({ action: 'action.invoke' });
    expect(audited.items).toContainEqual(
      expect.objectContaining({
        details: expect.objectContaining({ taskId: deepest.taskId, ok: false, reason: 'refused' }),
      }),
    );
  });
});
