import type { Config } from '../../config.js';
import { EchoProvider } from './echo.js';
import { OpenAIProvider } from './openai.js';
import type { Provider } from './types.js';

/** Names of the built-in providers, the values `agents.model_provider` may take. */
export const PROVIDER_NAMES = ['echo', 'openai'] as const;

/** Maps `agents.model_provider` to the Provider that runs the agent's tasks. */
export class ProviderRegistry {
  private readonly providers = new Map<string, Provider>();

  constructor(providers: Provider[]) {
    for (const p of providers) this.providers.set(p.name, p);
  }

  /** Adds (or replaces) a provider: plugins and tests bring their own. */
  register(provider: Provider): void {
    this.providers.set(provider.name, provider);
  }

  get(name: string): Provider | undefined {
    return this.providers.get(name);
  }

  names(): string[] {
    return [...this.providers.keys()];
  }
}

export function createProviderRegistry(config: Config): ProviderRegistry {
  return new ProviderRegistry([
    new EchoProvider(),
    new OpenAIProvider({ baseUrl: config.openaiBaseUrl, apiKey: config.openaiApiKey }),
  ]);
}
