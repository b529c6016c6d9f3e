import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoProvider, wordChunks } from '../../../src/core/providers/echo.js';
import { OpenAIProvider } from '../../../src/core/providers/openai.js';
import type { ProviderContext, StreamSink, ToolInvoker } from '../../../src/core/providers/types.js';
import type { Agent, Task } from '../../../src/domain.js';
import { type ChatHandler, startChatServer } from '../../helpers/chatServer.js';
import { quietLogger } from '../../helpers/db.js';

function recordingSink() {
  const seen: Array<{ kind: string; value: unknown }> = [];
  const sink: StreamSink = {
    delta: (text) => seen.push({ kind: 'delta', value: text }),
    toolCall: (call) => seen.push({ kind: 'toolCall', value: call }),
    toolResult: (call) => seen.push({ kind: 'toolResult', value: call }),
  };
  return {
    sink,
    seen,
    text: () =>
      seen
        .filter((s) => s.kind === 'delta')
        .map((s) => s.value)
        .join(''),
  };
}

const ctx = (config: Record<string, unknown>, stream?: StreamSink, tools?: ToolInvoker): ProviderContext => ({
  agent: {
    agentId: 'a',
    role: 'Be brief.',
    modelName: 'test-model',
    config: { keyless: true, ...config },
  } as unknown as Agent,
  task: {} as Task,
  signal: new AbortController().signal,
  logger: quietLogger,
  tools,
  stream,
});

describe('the local chat-completions server, streaming', () => {
  let handler: ChatHandler = () => ({ content: 'hi' });
  let server: Awaited<ReturnType<typeof startChatServer>>;
  beforeAll(async () => {
    server = await startChatServer((...args) => handler(...args));
  });
  afterAll(() => server.close());

  it('speaks the protocol the official openai client reads: text, tool-call deltas, usage chunk', async () => {
    handler = () => ({
      content: 'Hello there,  world',
      toolCalls: [{ id: 'call_9', name: 'time.now', arguments: '{"zone":"UTC"}' }],
      usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 },
    });
    const client = new OpenAI({ apiKey: 'x', baseURL: server.url, maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let args = '';
    let name = '';
    let id = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null = null;
    let contentChunks = 0;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      if (choice.delta.content) {
        text += choice.delta.content;
        contentChunks += 1;
      }
      for (const call of choice.delta.tool_calls ?? []) {
        id ||= call.id ?? '';
        name += call.function?.name ?? '';
        args += call.function?.arguments ?? '';
      }
      finish = choice.finish_reason ?? finish;
    }
    expect(text).toBe('Hello there,  world');
    expect(contentChunks).toBe(3);
    expect({ id, name, args: JSON.parse(args) }).toEqual({
      id: 'call_9',
      name: 'time.now',
      args: { zone: 'UTC' },
    });
    expect(finish).toBe('tool_calls');
    expect(usage).toEqual({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 });
  });

  it('the openai provider streams text deltas that join to its answer, asking for usage', async () => {
    handler = () => ({
      content: 'The capital is Paris.',
      usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 },
    });
    const { sink, seen, text } = recordingSink();
    server.requests.length = 0;
    const result = await new OpenAIProvider().run({ prompt: 'Capital?' }, ctx({ baseUrl: server.url }, sink));
    expect(result.text).toBe('The capital is Paris.');
    expect(text()).toBe(result.text);
    expect(seen.filter((s) => s.kind === 'delta').length).toBe(4);
    expect(result.usage).toEqual({ promptTokens: 5, completionTokens: 4, totalTokens: 9 });
    expect(server.requests[0].stream).toBe(true);
    expect(server.requests[0].stream_options).toEqual({ include_usage: true });
  });

  it('the openai provider assembles streamed tool calls, runs them and reports call and result', async () => {
    let step = 0;
    handler = () =>
      ++step === 1
        ? { toolCalls: [{ id: 'call_1', name: 'text.upper', arguments: '{"text":"abc"}' }] }
        : { content: 'ABC it is' };
    const tools: ToolInvoker = {
      definitions: [{ name: 'text.upper', description: 'upper', parameters: { type: 'object' } }],
      invoke: async (_name, args) => ({ upper: String((args as { text: string }).text).toUpperCase() }),
    };
    const { sink, seen, text } = recordingSink();
    server.requests.length = 0;
    const result = await new OpenAIProvider().run(
      { prompt: 'upper abc' },
      ctx({ baseUrl: server.url }, sink, tools),
    );
    expect(result.text).toBe('ABC it is');
    expect(text()).toBe('ABC it is');
    expect(result.toolCalls).toEqual([
      { id: 'call_1', step: 1, name: 'text.upper', arguments: { text: 'abc' }, result: { upper: 'ABC' } },
    ]);
    expect(seen.filter((s) => s.kind !== 'delta')).toEqual([
      { kind: 'toolCall', value: { id: 'call_1', name: 'text.upper', arguments: { text: 'abc' } } },
      { kind: 'toolResult', value: { id: 'call_1', name: 'text.upper' } },
    ]);
    // The second request carries the assembled call and its result, paired by id.
    const second = server.requests[1].messages;
    expect(second.at(-2)).toMatchObject({
      role: 'assistant',
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'text.upper', arguments: '{"text":"abc"}' } },
      ],
    });
    expect(second.at(-1)).toEqual({ role: 'tool', tool_call_id: 'call_1', content: '{"upper":"ABC"}' });
  });
});

describe('echo streaming', () => {
  it('cuts text into words whose pieces join back exactly', () => {
    for (const text of ['one two  three', '  lead and trail  ', 'x', '', 'tab\there\nnew line']) {
      expect(wordChunks(text).join('')).toBe(text);
    }
    expect(wordChunks('one two  three')).toEqual(['one', ' two', '  three']);
  });

  it('streams its answer word by word', async () => {
    const { sink, text, seen } = recordingSink();
    const result = await new EchoProvider().run({ prompt: 'streamed word by word' }, ctx({}, sink));
    expect(seen.length).toBe(4);
    expect(text()).toBe(result.text);
  });
});
