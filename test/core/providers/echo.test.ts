import { describe, expect, it } from 'vitest';
import { EchoProvider } from '../../../src/core/providers/echo.js';
import { InvalidTaskInputError } from '../../../src/core/providers/input.js';
import type { ProviderContext } from '../../../src/core/providers/types.js';
import { BUILTIN_PROVIDERS } from '../../../src/system.js';

const ctx = { signal: new AbortController().signal } as ProviderContext;

describe('EchoProvider', () => {
  it('answers with the prompt, counting words as tokens', async () => {
    const result = await new EchoProvider().run({ prompt: 'one two  three' }, ctx);
    expect(result).toEqual({
      text: 'one two  three',
      usage: { promptTokens: 3, completionTokens: 3, totalTokens: 6 },
    });
  });

  it('answers with the last user message of a conversation, filling variables', async () => {
    const result = await new EchoProvider().run(
      {
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'first' },
          { role: 'assistant', content: 'ok' },
          { role: 'user', content: 'hello {{name}}' },
        ],
        variables: { name: 'Ada' },
      },
      ctx,
    );
    expect(result.text).toBe('hello Ada');
  });

  it('refuses input with neither prompt nor messages', async () => {
    await expect(new EchoProvider().run({}, ctx)).rejects.toBeInstanceOf(InvalidTaskInputError);
  });

  it('is one of the built-in providers the agent manager accepts', () => {
    expect(BUILTIN_PROVIDERS).toEqual(['echo', 'openai']);
  });
});
