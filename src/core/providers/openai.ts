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
import { ProviderConfigError } from './errors.js';
import { taskMessages } from './input.js';
import { toOpenAIMessage } from './openaiMessages.js';
import { streamCompletion } from './openaiStream.js';
import { answerText, isWaiting, runTurn, toRecord } from './toolTurn.js';
import {
  type Provider,
  type ProviderContext,
  type ProviderResult,
  type TaskInput,
  TaskWaiting,
  type ToolCallRecord,
  type TurnCall,
  type Usage,
} from './types.js';

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

    const resume = ctx.resume;
    // History and input, tool calls and results included (thread runs replay them in order). The
    // operator's role is always the first system message; a caller's own system messages (only
    // when the agent allows them, checked at submit) follow it (SPEC §10). A resumed task
    // continues its checkpointed conversation, which already starts with the role.
    const messages: ChatCompletionMessageParam[] = resume
      ? (resume.messages as ChatCompletionMessageParam[])
      : taskMessages(input).map(toOpenAIMessage);
    if (!resume && agent.role) messages.unshift({ role: 'system', content: agent.role });
    const toolDefs: ChatCompletionTool[] | undefined = tools?.definitions.length
      ? tools.definitions.map((t) => ({
          type: 'function',
          function: { name: t.name, description: t.description, parameters: t.parameters },
        }))
      : undefined;
    const maxSteps = Number(agent.config.maxSteps) > 0 ? Number(agent.config.maxSteps) : DEFAULT_MAX_STEPS;
    const usage: Usage = resume?.usage ?? { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
    const toolCalls: ToolCallRecord[] = resume?.toolCalls ?? [];
    // A resumed task's last turn is answered now: its answers go to the model in call order.
    const answer = (turn: TurnCall[]) => {
      for (const call of turn) {
        toolCalls.push(toRecord(call));
        messages.push({ role: 'tool', tool_call_id: call.id, content: answerText(call) });
      }
    };
    if (resume) answer(resume.turn);

    for (let step = (resume?.step ?? 0) + 1; ; step++) {
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
      // Tool calls of an agent with no tools are still checked: each is refused, audited and
      // answered (SPEC §10), never dropped.
      if (calls.length === 0 || !tools) {
        return { text: message.content ?? '', usage, ...(toolCalls.length ? { toolCalls } : {}) };
      }
      if (step >= maxSteps) throw new Error(`the model still asked for tools after ${maxSteps} steps`);
      messages.push({ role: 'assistant', content: message.content ?? null, tool_calls: calls });
      const requested = calls.map((c) => ({
        id: c.id,
        name: c.function.name,
        arguments: parseArguments(c.function.arguments),
      }));
      await ctx.saveTurn?.({ messages, toolCalls, usage, step, turn: requested });
      const turn = await runTurn(requested, tools, signal, step, ctx.stream);
      if (isWaiting(turn)) throw new TaskWaiting({ messages, toolCalls, usage, step, turn });
      answer(turn);
    }
  }
}
