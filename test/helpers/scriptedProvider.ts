import type { Provider, ProviderContext, ProviderResult, TaskInput } from '../../src/core/providers/types.js';

/**
 * A provider tests steer through the prompt: `sleep:<ms>` waits (honouring the abort signal),
 * `fail:<message>` throws, `hang` ignores the signal entirely; anything else answers at once.
 * It records every call and the highest number of calls in flight at once.
 */
export class ScriptedProvider implements Provider {
  readonly name = 'scripted';
  readonly needsApiKey = false;
  readonly calls: string[] = [];
  inFlight = 0;
  maxInFlight = 0;

  async run(input: TaskInput, ctx: ProviderContext): Promise<ProviderResult> {
    const prompt = input.prompt ?? '';
    this.calls.push(prompt);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const [verb, arg] = prompt.split(':');
      if (verb === 'fail') throw new Error(arg ?? 'failed');
      if (verb === 'hang') await new Promise(() => undefined);
      if (verb === 'sleep') {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, Number(arg));
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(ctx.signal.reason);
          });
        });
      }
      return { text: `done ${prompt}`, usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 } };
    } finally {
      this.inFlight -= 1;
    }
  }
}
