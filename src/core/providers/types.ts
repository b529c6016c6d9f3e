/**
 * The contract between the task queue, model providers and the plugin system.
 *
 * Task input (SPEC §5): `{ prompt }` or `{ messages }`, plus optional `variables`.
 * Provider output: `{ text, toolCalls?, usage }`, stored as the task's `output`.
 */
import type { Agent, Task } from '../../domain.js';
import type { Logger } from '../../logger.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** An assistant turn that asked for tools (thread history). */
  toolCalls?: ToolCallRef[];
  /** A `tool` message answering this call (thread history). */
  toolCallId?: string;
}

/** A tool call as the model made it: its id, the function and the arguments. */
export interface ToolCallRef {
  id: string;
  name: string;
  arguments: unknown;
}

/**
 * Where a provider reports what it writes while it writes it (SPEC §12): text deltas and tool
 * calls. The queue turns them into `task:delta` / `task:tool_call` / `task:tool_result` events.
 */
export interface StreamSink {
  delta(text: string): void;
  toolCall(call: ToolCallRef): void;
  toolResult(call: { id: string; name: string; error?: string }): void;
}

export interface TaskInput {
  prompt?: string;
  messages?: ChatMessage[];
  variables?: Record<string, unknown>;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** One tool call the model asked for, and what came of it. */
export interface ToolCallRecord {
  /** The model's call id (threads store it to pair calls with results). */
  id?: string;
  /** Which model request asked for it (1-based): calls of one step share an assistant turn. */
  step?: number;
  name: string;
  arguments: unknown;
  result?: unknown;
  /** Set when the call was refused (not allowed, invalid arguments) or failed. */
  error?: string;
}

export interface ProviderResult {
  text: string;
  usage: Usage;
  toolCalls?: ToolCallRecord[];
}

/** An action offered to the model as a tool (JSON-schema parameters, OpenAI function format). */
export interface ToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/**
 * The agent's allowed actions, as the provider sees them. `invoke` checks the allow-list,
 * validates the arguments, runs the action and audits it; it throws (with a message meant for
 * the model) when the call is refused or fails.
 */
export interface ToolInvoker {
  definitions: ToolDefinition[];
  invoke(name: string, args: unknown, signal: AbortSignal): Promise<unknown>;
}

export interface ProviderContext {
  agent: Agent;
  task: Task;
  /** Aborted on timeout, cancel, or worker shutdown: the provider must stop promptly. */
  signal: AbortSignal;
  logger: Logger;
  /** API key resolved for this agent (vault secret named by `model_key`, agent config, or env). */
  apiKey?: string;
  tools?: ToolInvoker;
  /** Present when the answer should stream (the agent's `config.stream` is not false). */
  stream?: StreamSink;
}

export interface Provider {
  readonly name: string;
  /** Whether it calls a service that needs a key (looked up per task; `echo` needs none). */
  readonly needsApiKey: boolean;
  run(input: TaskInput, ctx: ProviderContext): Promise<ProviderResult>;
}

/**
 * Runs other agents' tasks on behalf of an action (`agent.delegate`) or a workflow step: submit
 * and wait for the terminal state. Implemented by the task queue.
 */
export interface TaskRunner {
  submitAndWait(request: ChildTaskRequest, waitMs: number): Promise<Task>;
}

/** A task one agent (or a workflow) asks another agent to run. */
export interface ChildTaskRequest {
  /** The agent's human handle. */
  agentId: string;
  input: TaskInput;
  parentTaskId?: string;
  createdBy?: string | null;
  metadata?: Record<string, unknown>;
  timeoutSeconds?: number;
}
