import { traceModelCall } from '../../telemetry/spans.js';
import { countWords, taskMessages, usageOf } from './input.js';
import type { Provider, ProviderContext, ProviderResult, TaskInput } from './types.js';

/**
 * Offline and deterministic: answers with the prompt (or the last user message). Tokens are
 * words. The embedded default, the tests and the queue benchmark use it.
 */
export class EchoProvider implements Provider {
  readonly name = 'echo';
  readonly needsApiKey = false;

  run(input: TaskInput, ctx: ProviderContext): Promise<ProviderResult> {
    return traceModelCall('echo', ctx.agent.modelName ?? 'echo', () => this.answer(input, ctx), usageOf);
  }

  private async answer(input: TaskInput, ctx: ProviderContext): Promise<ProviderResult> {
    ctx.signal.throwIfAborted();
    const messages = taskMessages(input);
    const lastUser = [...messages].reverse().find((m) => m.role === 'user') ?? messages[messages.length - 1];
    const text = lastUser.content;
    const promptTokens = messages.reduce((n, m) => n + countWords(m.content), 0);
    const completionTokens = countWords(text);
    return { text, usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens } };
  }
}
