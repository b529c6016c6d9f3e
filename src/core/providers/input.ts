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
      return { role: m.role, content: fill(m.content, variables) };
    });
  }
  throw new InvalidTaskInputError('input needs a prompt or a non-empty messages list');
}

/** Words, as the echo provider counts tokens. */
export const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** A provider result's tokens as the GenAI spans name them. */
export function usageOf(result: { usage: { promptTokens: number; completionTokens: number } }) {
  return { inputTokens: result.usage.promptTokens, outputTokens: result.usage.completionTokens };
}
