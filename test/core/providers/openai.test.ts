import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OpenAIProvider } from '../../../src/core/providers/openai.js';
import type { ProviderContext, ToolInvoker } from '../../../src/core/providers/types.js';
import { ExponentialBackoff } from '../../../src/core/queue/backoff.js';
import type { Agent, Task } from '../../../src/domain.js';
import { type ChatHandler, startChatServer } from '../../helpers/chatServer.js';
import { dbTargets, quietLogger } from '../../helpers/db.js';
import { createTestSystem, type TestSystem } from '../../helpers/system.js';

const agent = (config: Record<string, unknown>): Agent =>
  ({ agentId: 'a', role: 'You are terse.', modelName: 'test-model', config }) as Agent;
const ctx = (config: Record<string, unknown>, tools?: ToolInvoker): ProviderContext => ({
  agent: agent(config),
  task: {} as Task,
  signal: new AbortController().signal,
  logger: quietLogger,
  apiKey: 'test-key',
  tools,
});

describe('OpenAIProvider', () => {
  let handler: ChatHandler = () => ({ content: 'hi' });
  let server: Awaited<ReturnType<typeof startChatServer>>;
  beforeAll(async () => {
    server = await startChatServer((...args) => handler(...args));
  });
  afterAll(() => server.close());
  afterEach(() => {
    server.requests.length = 0;
  });

  it('sends the role as a system message and maps the answer and usage', async () => {
    handler = () => ({
      content: 'Paris',
      usage: { prompt_tokens: 7, completion_tokens: 1, total_tokens: 8 },
    });
    const p = new OpenAIProvider();
    const result = await p.run(
      { prompt: 'Capital of {{c}}?', variables: { c: 'France' } },
      ctx({ baseUrl: server.url }),
    );
    expect(result).toEqual({
      text: 'Paris',
      usage: { promptTokens: 7, completionTokens: 1, totalTokens: 8 },
    });
    expect(server.requests[0].model).toBe('test-model');
    expect(server.requests[0].messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Capital of France?' },
    ]);
  });

  it('uses OPENAI_BASE_URL-style defaults when the agent config has none', async () => {
    handler = () => ({ content: 'from defaults' });
    const p = new OpenAIProvider({ baseUrl: server.url, apiKey: 'k' });
    expect((await p.run({ prompt: 'x' }, ctx({}))).text).toBe('from defaults');
  });

  it('runs the tool-call loop, feeding results and errors back, and sums usage over steps', async () => {
    handler = (body) => {
      const toolMessages = body.messages.filter((m) => m.role === 'tool');
      if (toolMessages.length === 0) {
        return {
          toolCalls: [
            { id: 'c1', name: 'time.now', arguments: '{}' },
            { id: 'c2', name: 'forbidden', arguments: '{"x":1}' },
          ],
        };
      }
      return { content: `saw ${toolMessages.map((m) => m.content).join(' | ')}` };
    };
    const tools: ToolInvoker = {
      definitions: [{ name: 'time.now', description: 'now', parameters: { type: 'object', properties: {} } }],
      async invoke(name) {
        if (name !== 'time.now') throw new Error(`action ${name} is not allowed`);
        return { now: 'noon' };
      },
    };
    const result = await new OpenAIProvider().run({ prompt: 'time?' }, ctx({ baseUrl: server.url }, tools));
    expect(result.text).toBe('saw {"now":"noon"} | error: action forbidden is not allowed');
    expect(result.usage.totalTokens).toBe(10);
    expect(result.toolCalls).toEqual([
      { id: 'c1', step: 1, name: 'time.now', arguments: {}, result: { now: 'noon' } },
      { id: 'c2', step: 1, name: 'forbidden', arguments: { x: 1 }, error: 'action forbidden is not allowed' },
    ]);
    expect(server.requests[0].tools?.map((t) => t.function.name)).toEqual(['time.now']);
  });

  it('gives up after maxSteps when the model keeps asking for tools', async () => {
    handler = () => ({ toolCalls: [{ id: 'c', name: 'time.now', arguments: '{}' }] });
    const tools: ToolInvoker = { definitions: [], invoke: async () => 'x' };
    await expect(
      new OpenAIProvider().run({ prompt: 'loop' }, ctx({ baseUrl: server.url, maxSteps: 3 }, tools)),
    ).rejects.toThrow(/3 steps/);
    expect(server.requests).toHaveLength(3);
  });
});

describe.each(dbTargets)('openai provider through the queue on %s', (target) => {
  let t: TestSystem;
  let handler: ChatHandler = () => ({ content: 'ok' });
  let server: Awaited<ReturnType<typeof startChatServer>>;
  beforeAll(async () => {
    server = await startChatServer((...args) => handler(...args));
    t = await createTestSystem(
      target,
      { BSM_POLL_INTERVAL_MS: '50', OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'test-key' },
      { queue: { backoff: new ExponentialBackoff({ baseMs: 50 }) } },
    );
    await t.system.agents.create({ agentId: 'gpt', name: 'G', role: 'r', modelProvider: 'openai' });
    await t.system.queue.start();
  });
  afterAll(async () => {
    await t?.close();
    await server?.close();
  });

  const run = async (prompt: string, extra: Record<string, unknown> = {}) => {
    const { task } = await t.system.queue.submit({ agentId: 'gpt', input: { prompt }, ...extra });
    return t.system.queue.waitForTask(task.taskId, 15_000);
  };

  it('completes a task with the model answer and records the tokens', async () => {
    handler = () => ({
      content: 'the answer',
      usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
    });
    const done = await run('question');
    expect(done.status).toBe('completed');
    expect(done.output).toMatchObject({ text: 'the answer', usage: { totalTokens: 6 } });
    const [execution] = await t.system.queue.executions(done.taskId);
    expect(execution).toMatchObject({ status: 'success', tokensUsed: 6, output: { text: 'the answer' } });
  });

  it('retries a task when the server answers HTTP 500', async () => {
    let calls = 0;
    handler = () => {
      calls += 1;
      return calls === 1 ? { status: 500, content: 'overloaded' } : { content: 'second time lucky' };
    };
    const done = await run('retry me');
    expect(done).toMatchObject({ status: 'completed', retryCount: 1, output: { text: 'second time lucky' } });
    const executions = await t.system.queue.executions(done.taskId);
    expect(executions.map((e) => e.status)).toEqual(['failure', 'success']);
    expect(executions[0].errorMessage).toMatch(/500/);
  });

  it('stops waiting for a slow server at the task timeout and records timeout', async () => {
    handler = () => ({ content: 'too late', delayMs: 5_000 });
    const done = await run('slow', { timeoutSeconds: 1, maxRetries: 0 });
    expect(done.status).toBe('failed');
    const [execution] = await t.system.queue.executions(done.taskId);
    expect(execution.status).toBe('timeout');
    expect(execution.executionTimeMs).toBeLessThan(4_000);
  });
});

describe.each(dbTargets)('an openai agent without a key on %s', (target) => {
  let t: TestSystem;
  let server: Awaited<ReturnType<typeof startChatServer>>;
  beforeAll(async () => {
    server = await startChatServer(() => ({ content: 'local answer' }));
    // No OPENAI_API_KEY, no vault secret, no key in the agent.
    t = await createTestSystem(target, { BSM_POLL_INTERVAL_MS: '50' });
    await t.system.agents.create({
      agentId: 'no-key',
      name: 'N',
      role: 'r',
      modelProvider: 'openai',
      modelKey: 'team-openai',
      config: { baseUrl: server.url },
    });
    await t.system.agents.create({
      agentId: 'ollama',
      name: 'O',
      role: 'r',
      modelProvider: 'openai',
      config: { baseUrl: server.url, keyless: true },
    });
    await t.system.queue.start();
  });
  afterAll(async () => {
    await t?.close();
    await server?.close();
  });

  it('fails at once, not retried, naming OPENAI_API_KEY and the modelKey, without calling the model', async () => {
    const started = Date.now();
    const { task } = await t.system.queue.submit({
      agentId: 'no-key',
      input: { prompt: 'hi' },
      maxRetries: 3,
    });
    const done = await t.system.queue.waitForTask(task.taskId, 15_000);
    expect(done).toMatchObject({ status: 'failed', retryCount: 0 });
    expect(done.error).toContain('OPENAI_API_KEY');
    expect(done.error).toContain('"team-openai"');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await t.system.queue.executions(task.taskId)).toHaveLength(1);
    expect(server.requests).toHaveLength(0);
  });

  it('runs an agent marked keyless (a local server) without any key', async () => {
    const { task } = await t.system.queue.submit({ agentId: 'ollama', input: { prompt: 'hi' } });
    const done = await t.system.queue.waitForTask(task.taskId, 15_000);
    expect(done).toMatchObject({ status: 'completed', output: { text: 'local answer' } });
  });
});
