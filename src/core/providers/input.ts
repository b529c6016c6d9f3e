/**
 * Task input as providers read it: `{prompt}` or `{messages}`, with `{{name}}` placeholders filled
 * from `variables`. Anything else is a failure of the task (not of the worker).
 */
import type { ChatMessage, TaskInput } from './types.js';

const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

export class InvalidTaskInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTaskInputError';
  }
}

function fill(text: string, variables: Record<string, unknown> | undefined): string {
  if (!variables) return text;
  return text.replace(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g, (whole, name: string) =>
    Object.hasOwn(variables, name) ? String(variables[name]) : whole,
  );
}

/** The conversation a task asks for, placeholders filled. */
export function taskMessages(input: unknown): ChatMessage[] {
  if (typeof input !== 'object' || input === null) throw new InvalidTaskInputError('input must be an object');
  const { prompt, messages, variables } = input as TaskInput;
  if (typeof prompt === 'string') return [{ role: 'user', content: fill(prompt, variables) }];
  if (Array.isArray(messages) && messages.length > 0) {
    return messages.map((m, i) => {
      if (!m || !ROLES.has(m.role) || typeof m.content !== 'string') {
        throw new InvalidTaskInputError(`messages[${i}] must be {role, content}`);
      }
      const message: ChatMessage = { role: m.role, content: fill(m.content, variables) };
      // Thread history carries tool calls and the ids their results answer.
      if (Array.isArray(m.toolCalls) && m.toolCalls.length) message.toolCalls = m.toolCalls;
      if (typeof m.toolCallId === 'string') message.toolCallId = m.toolCallId;
      return message;
    });
  }
  throw new InvalidTaskInputError('input needs a prompt or a non-empty messages list');
}

/** Words, as the echo provider counts tokens. */
export const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

/**
 * The operator's role prompt stays first (SPEC §10): a caller's `system` message is refused at
 * submit unless the agent opts in with `config.allowSystemMessages: true` — and then it follows
 * the role, never replaces it. Throws naming the first offending message.
 */
export function assertCallerSystemMessagesAllowed(
  messages: readonly ChatMessage[],
  agentConfig: Record<string, unknown>,
): void {
  if (agentConfig.allowSystemMessages === true) return;
  const index = messages.findIndex((m) => m.role === 'system');
  if (index >= 0) {
    throw new InvalidTaskInputError(
      `messages[${index}] has role "system": the agent's role is its system prompt; ` +
        "send user messages, or set the agent's config.allowSystemMessages to true to add system messages after the role",
    );
  }
}

/** A provider result's tokens as the GenAI spans name them. */
export function usageOf(result: { usage: { promptTokens: number; completionTokens: number } }) {
  return { inputTokens: result.usage.promptTokens, outputTokens: result.usage.completionTokens };
}
