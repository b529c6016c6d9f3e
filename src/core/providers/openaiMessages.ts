import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ChatMessage } from './types.js';

/**
 * One task message as the chat-completions API takes it. Thread history keeps tool calls with
 * their ids, so they go back as they were made; a `tool` message without a call id has nothing to
 * answer and reaches the model as user text.
 */
export function toOpenAIMessage(m: ChatMessage): ChatCompletionMessageParam {
  if (m.role === 'tool') {
    return m.toolCallId
      ? { role: 'tool', tool_call_id: m.toolCallId, content: m.content }
      : { role: 'user', content: m.content };
  }
  if (m.role === 'assistant' && m.toolCalls?.length) {
    return {
      role: 'assistant',
      content: m.content || null,
      tool_calls: m.toolCalls.map((c) => ({
        id: c.id,
        type: 'function',
        function: {
          name: c.name,
          arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}),
        },
      })),
    };
  }
  return { role: m.role, content: m.content };
}
