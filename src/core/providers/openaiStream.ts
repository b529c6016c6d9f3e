/**
 * One streamed chat-completions request (`stream: true`, `stream_options.include_usage`): text
 * deltas go to the sink as they arrive, tool-call deltas are joined by their index, and the usage
 * comes from the final chunk. Returns the assembled message, as a non-streamed request would.
 */
import type OpenAI from 'openai';
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageFunctionToolCall,
} from 'openai/resources/chat/completions';
import type { StreamSink } from './types.js';

export interface StreamedMessage {
  content: string | null;
  toolCalls: ChatCompletionMessageFunctionToolCall[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | undefined;
}

export async function streamCompletion(
  client: OpenAI,
  body: ChatCompletionCreateParamsNonStreaming,
  signal: AbortSignal,
  sink: StreamSink,
): Promise<StreamedMessage> {
  const stream = await client.chat.completions.create(
    { ...body, stream: true, stream_options: { include_usage: true } },
    { signal },
  );
  let content: string | null = null;
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  let usage: StreamedMessage['usage'];
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    const delta = chunk.choices[0]?.delta;
    if (!delta) continue;
    if (delta.content) {
      content = (content ?? '') + delta.content;
      sink.delta(delta.content);
    }
    for (const part of delta.tool_calls ?? []) {
      const call = calls.get(part.index) ?? { id: '', name: '', arguments: '' };
      if (part.id) call.id = part.id;
      if (part.function?.name) call.name += part.function.name;
      if (part.function?.arguments) call.arguments += part.function.arguments;
      calls.set(part.index, call);
    }
  }
  const toolCalls = [...calls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, c]) => ({
      id: c.id,
      type: 'function' as const,
      function: { name: c.name, arguments: c.arguments },
    }));
  return { content, toolCalls, usage };
}
