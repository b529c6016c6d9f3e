/**
 * Any OpenAI-compatible chat-completions server, through the official SDK. Retries are the
 * queue's job (with back-off and an execution row per attempt), so the SDK's own are off.
 */
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { taskMessages } from './input.js';
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
    // Order: the agent's own config, then the key resolved for it (vault), then the environment.
    const apiKey = configString(agent.config, 'apiKey') ?? ctx.apiKey ?? this.defaults.apiKey;
    const baseURL = configString(agent.config, 'baseUrl') ?? this.defaults.baseUrl;
    const client = new OpenAI({ apiKey: apiKey ?? 'not-needed', baseURL, maxRetries: 0 });

    const resume = ctx.resume;
    // A `tool` message in the input has no call id to answer; it reaches the model as user text.
    const messages: ChatCompletionMessageParam[] = resume
      ? (resume.messages as ChatCompletionMessageParam[])
      : taskMessages(input).map((m) =>
          m.role === 'tool' ? { role: 'user', content: m.content } : { role: m.role, content: m.content },
        );
    if (!resume && !messages.some((m) => m.role === 'system') && agent.role) {
      messages.unshift({ role: 'system', content: agent.role });
    }
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
      const completion = await client.chat.completions.create(
        {
          model: agent.modelName ?? DEFAULT_MODEL,
          messages,
          ...(toolDefs ? { tools: toolDefs } : {}),
        },
        { signal },
      );
      usage.promptTokens += completion.usage?.prompt_tokens ?? 0;
      usage.completionTokens += completion.usage?.completion_tokens ?? 0;
      usage.totalTokens += completion.usage?.total_tokens ?? 0;
      const message = completion.choices[0]?.message;
      if (!message) throw new Error('the model returned no choices');
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
      const turn = await runTurn(requested, tools, signal, step);
      if (isWaiting(turn)) throw new TaskWaiting({ messages, toolCalls, usage, step, turn });
      answer(turn);
    }
  }
}
