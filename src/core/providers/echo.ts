import { traceModelCall } from '../../telemetry/spans.js';
import { countWords, taskMessages, usageOf } from './input.js';
import type { Provider, ProviderContext, ProviderResult, TaskInput } from './types.js';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** `text` cut into words, each with the whitespace before it; the pieces join back to `text`. */
export function wordChunks(text: string): string[] {
  const chunks: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i])) i++;
    while (i < text.length && !/\s/.test(text[i])) i++;
    chunks.push(text.slice(start, i));
    start = i;
  }
  return chunks;
}

/**
 * Offline and deterministic: answers with the prompt (or the last user message). Tokens are
 * words; when streaming, the answer goes out word by word. The embedded default, the tests and
 * the queue benchmark use it.
 */
export class EchoProvider implements Provider {
  readonly name = 'echo';
  readonly needsApiKey = false;

  run(input: TaskInput, ctx: ProviderContext): Promise<ProviderResult> {
    return traceModelCall('echo', ctx.agent?.modelName ?? 'echo', () => this.answer(input, ctx), usageOf);
  }

  private async answer(input: TaskInput, ctx: ProviderContext): Promise<ProviderResult> {
    ctx.signal.throwIfAborted();
    const messages = taskMessages(input);
    const lastUser = [...messages].reverse().find((m) => m.role === 'user') ?? messages[messages.length - 1];
    const text = lastUser.content;
    if (ctx.stream) {
      // `config.streamDelayMs` paces the words (demos and tests of live streams); capped at 1 s.
      const pause = Math.min(Math.max(Number(ctx.agent.config.streamDelayMs) || 0, 0), 1_000);
      for (const chunk of wordChunks(text)) {
        if (pause) await sleep(pause, ctx.signal);
        ctx.stream.delta(chunk);
      }
    }
    const promptTokens = messages.reduce((n, m) => n + countWords(m.content), 0);
    const completionTokens = countWords(text);
    return { text, usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens } };
  }
}
