/**
 * Any OpenAI-compatible chat-completions server, through the official SDK. Retries are the
 * queue's job (with back-off and an execution row per attempt), so the SDK's own are off.
 */
import OpenAI from 'openai';
import type {
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { traceModelCall } from '../../telemetry/spans.js';
import { taskMessages } from './input.js';
import { toOpenAIMessage } from './openaiMessages.js';
import { streamCompletion } from './openaiStream.js';
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
    // The key resolved for the agent (vault, `modelKey`), then the environment. Never the agent's
    // config: secret-named config keys are refused and redacted (SPEC §10).
    const apiKey = ctx.apiKey ?? this.defaults.apiKey;
    const baseURL = configString(agent.config, 'baseUrl') ?? this.defaults.baseUrl;
    const client = new OpenAI({ apiKey: apiKey ?? 'not-needed', baseURL, maxRetries: 0 });

    // History and input, tool calls and results included (thread runs replay them in order).
    const messages: ChatCompletionMessageParam[] = taskMessages(input).map(toOpenAIMessage);
    // The operator's role is always the first system message; a caller's own system messages
    // (only when the agent allows them, checked at submit) follow it (SPEC §10).
    if (agent.role) messages.unshift({ role: 'system', content: agent.role });
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
      const body = { model, messages, ...(toolDefs ? { tools: toolDefs } : {}) };
      const { message, stepUsage } = await traceModelCall(
        'openai',
        model,
        async (): Promise<{
          message: { content: string | null; tool_calls?: ChatCompletionMessageToolCall[] };
          stepUsage: CompletionUsage | undefined;
        }> => {
          if (ctx.stream) {
            const streamed = await streamCompletion(client, body, signal, ctx.stream);
            return {
              message: { content: streamed.content, tool_calls: streamed.toolCalls },
              stepUsage: streamed.usage,
            };
          }
          const completion = await client.chat.completions.create(body, { signal });
          const first = completion.choices[0]?.message;
          if (!first) throw new Error('the model returned no choices');
          return { message: first, stepUsage: completion.usage };
        },
        (r) => ({ inputTokens: r.stepUsage?.prompt_tokens, outputTokens: r.stepUsage?.completion_tokens }),
      );
      usage.promptTokens += stepUsage?.prompt_tokens ?? 0;
      usage.completionTokens += stepUsage?.completion_tokens ?? 0;
      usage.totalTokens += stepUsage?.total_tokens ?? 0;
      const calls = (message.tool_calls ?? []).filter((c) => c.type === 'function');
      if (!tools || calls.length === 0) {
        return { text: message.content ?? '', usage, ...(toolCalls.length ? { toolCalls } : {}) };
      }
      if (step >= maxSteps) throw new Error(`the model still asked for tools after ${maxSteps} steps`);
      messages.push({ role: 'assistant', content: message.content ?? null, tool_calls: calls });
      for (const call of calls) {
        const args = parseArguments(call.function.arguments);
        const record: ToolCallRecord = { id: call.id, step, name: call.function.name, arguments: args };
        ctx.stream?.toolCall({ id: call.id, name: record.name, arguments: args });
        try {
          record.result = await tools.invoke(call.function.name, args, signal);
        } catch (error) {
          signal.throwIfAborted();
          record.error = error instanceof Error ? error.message : String(error);
        }
        ctx.stream?.toolResult({
          id: call.id,
          name: record.name,
          ...(record.error ? { error: record.error } : {}),
        });
        toolCalls.push(record);
        const content = record.error ? `error: ${record.error}` : JSON.stringify(record.result ?? null);
        messages.push({ role: 'tool', tool_call_id: call.id, content });
      }
    }
  }
}
