/**
 * Any OpenAI-compatible chat-completions server, through the official SDK. Retries are the
 * queue's job (with back-off and an execution row per attempt), so the SDK's own are off.
 */
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { traceModelCall } from '../../telemetry/spans.js';
import { ProviderConfigError } from './errors.js';
import { taskMessages } from './input.js';
import type { Provider, ProviderContext, ProviderResult, TaskInput, ToolCallRecord, Usage } from './types.js';

const DEFAULT_MODEL = 'gpt-4o-mini';
const DEFAULT_MAX_STEPS = 8;

export interface OpenAIDefaults {
  baseUrl?: string;
  apiKey?: string;
}

function configString(config: Record<string, unknown>, key: string): string | undefined {
  const value = config[key];
  return typeof value === 'string' && value ? value : undefined;
}

function parseArguments(raw: string): unknown {
  try {
    return raw ? JSON.parse(raw) : {};
  } catch {
    return raw;
  }
}

export class OpenAIProvider implements Provider {
  readonly name = 'openai';
  readonly needsApiKey = true;

  constructor(private readonly defaults: OpenAIDefaults = {}) {}

  async run(input: TaskInput, ctx: ProviderContext): Promise<ProviderResult> {
    const { agent, signal, tools } = ctx;
    // Order: the agent's own config, then the key resolved for it (vault), then the environment.
    const apiKey = configString(agent.config, 'apiKey') ?? ctx.apiKey ?? this.defaults.apiKey;
    // Without a key the SDK would only fail after its connection attempts, with an error that
    // names nothing to fix; local servers (Ollama…) that need none say so with `keyless`.
    if (!apiKey && agent.config.keyless !== true) {
      throw new ProviderConfigError(
        `No OpenAI API key for agent ${agent.agentId}: set OPENAI_API_KEY, or store the key as the ` +
          `secret named by the agent's modelKey "${agent.modelKey}", or set config.keyless: true for a server that needs none`,
      );
    }
    const baseURL = configString(agent.config, 'baseUrl') ?? this.defaults.baseUrl;
    const client = new OpenAI({ apiKey: apiKey ?? 'not-needed', baseURL, maxRetries: 0 });

    // A `tool` message in the input has no call id to answer; it reaches the model as user text.
    const messages: ChatCompletionMessageParam[] = taskMessages(input).map((m) =>
      m.role === 'tool' ? { role: 'user', content: m.content } : { role: m.role, content: m.content },
    );
    if (!messages.some((m) => m.role === 'system') && agent.role) {
      messages.unshift({ role: 'system', content: agent.role });
    }
    const toolDefs: ChatCompletionTool[] | undefined = tools?.definitions.length
      ? tools.definitions.map((t) => ({
          type: 'function',
          function: { name: t.name, description: t.description, parameters: t.parameters },
        }))
      : undefined;
    const maxSteps = Number(agent.config.maxSteps) > 0 ? Number(agent.config.maxSteps) : DEFAULT_MAX_STEPS;
    const usage: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
    const toolCalls: ToolCallRecord[] = [];

    for (let step = 1; ; step++) {
      const model = agent.modelName ?? DEFAULT_MODEL;
      const completion = await traceModelCall(
        'openai',
        model,
        () =>
          client.chat.completions.create(
            { model, messages, ...(toolDefs ? { tools: toolDefs } : {}) },
            { signal },
          ),
        (c) => ({ inputTokens: c.usage?.prompt_tokens, outputTokens: c.usage?.completion_tokens }),
      );
      usage.promptTokens += completion.usage?.prompt_tokens ?? 0;
      usage.completionTokens += completion.usage?.completion_tokens ?? 0;
      usage.totalTokens += completion.usage?.total_tokens ?? 0;
      const message = completion.choices[0]?.message;
      if (!message) throw new Error('the model returned no choices');
      const calls = (message.tool_calls ?? []).filter((c) => c.type === 'function');
      if (!tools || calls.length === 0) {
        return { text: message.content ?? '', usage, ...(toolCalls.length ? { toolCalls } : {}) };
      }
      if (step >= maxSteps) throw new Error(`the model still asked for tools after ${maxSteps} steps`);
      messages.push({ role: 'assistant', content: message.content ?? null, tool_calls: calls });
      for (const call of calls) {
        const args = parseArguments(call.function.arguments);
        const record: ToolCallRecord = { name: call.function.name, arguments: args };
        try {
          record.result = await tools.invoke(call.function.name, args, signal);
        } catch (error) {
          signal.throwIfAborted();
          record.error = error instanceof Error ? error.message : String(error);
        }
        toolCalls.push(record);
        const content = record.error ? `error: ${record.error}` : JSON.stringify(record.result ?? null);
        messages.push({ role: 'tool', tool_call_id: call.id, content });
      }
    }
  }
}
