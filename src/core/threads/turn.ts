/**
 * What a completed turn adds to its thread (SPEC §12): the user's message, then per model step
 * that asked for tools an assistant message with `toolCalls` and one `tool` message per result,
 * then the answer. Tool results read as the model saw them (see the openai provider).
 */
import type { ChatMessage, ProviderResult, ToolCallRecord } from '../providers/types.js';

function toolContent(call: ToolCallRecord): string {
  return call.error ? `error: ${call.error}` : JSON.stringify(call.result ?? null);
}

export function turnMessages(userText: string, result: ProviderResult): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'user', content: userText }];
  const steps = new Map<number, Array<ToolCallRecord & { id: string }>>();
  (result.toolCalls ?? []).forEach((call, i) => {
    const step = call.step ?? 1;
    const list = steps.get(step) ?? [];
    list.push({ ...call, id: call.id ?? `call_${i + 1}` });
    steps.set(step, list);
  });
  for (const [, calls] of [...steps.entries()].sort(([a], [b]) => a - b)) {
    messages.push({
      role: 'assistant',
      content: '',
      toolCalls: calls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })),
    });
    for (const call of calls)
      messages.push({ role: 'tool', content: toolContent(call), toolCallId: call.id });
  }
  messages.push({ role: 'assistant', content: result.text });
  return messages;
}

/** The user's text of a thread task (its input is `{prompt}`). */
export function turnPrompt(input: unknown): string {
  const prompt = (input as { prompt?: unknown } | null)?.prompt;
  return typeof prompt === 'string' ? prompt : '';
}
