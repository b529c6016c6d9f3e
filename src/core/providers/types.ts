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
  /** `rejected`: a person rejected the call (or its approval expired); it did not run. */
  status?: 'rejected';
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
  /**
   * May answer a `Deferred` instead of a result: the call goes on without the task (a child task,
   * a person's decision) and the task waits for it (SPEC §11).
   */
  invoke(name: string, args: unknown, signal: AbortSignal, call?: ToolCallOptions): Promise<unknown>;
}

export interface ToolCallOptions {
  /** Stable per call of one task (model turn and position): makes an approval request idempotent. */
  key?: string;
  /** A person approved this call already: run it without asking again. */
  approved?: boolean;
}

/** What a deferred tool call waits for. */
export type Wait =
  | { kind: 'task'; taskId: string; agentId: string }
  | { kind: 'approval'; approvalId: string };

/** A tool call's answer when the call continues without the task: the task waits for `wait`. */
export class Deferred {
  constructor(readonly wait: Wait) {}
}

/** One tool call of a model turn: its answer, or what it still waits for. */
export interface TurnCall extends ToolCallRecord {
  /** The model's id for the call (answers go back under it). */
  id: string;
  wait?: Wait;
}

/**
 * Where a provider's conversation stands: what a waiting task keeps in `tasks.checkpoint`.
 * `messages` are in the provider's own format; `turn` is the last model turn's tool calls.
 */
export interface Conversation {
  messages: unknown[];
  toolCalls: ToolCallRecord[];
  usage: Usage;
  /** Model turns taken so far. */
  step: number;
  turn: TurnCall[];
}

/** Thrown by a provider whose turn deferred a tool call: the worker parks the task. */
export class TaskWaiting extends Error {
  constructor(readonly conversation: Conversation) {
    super('task waits for its tool calls');
    this.name = 'TaskWaiting';
  }
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
  /** A resumed task's conversation, its last turn's calls all answered: continue from here. */
  resume?: Conversation;
  /**
   * Keeps a model turn's answer before its tool calls run: a task taken back after a crash (or
   * retried after a failure) continues from it instead of asking the model that turn again.
   */
  saveTurn?(conversation: Conversation): Promise<void>;
}

export interface Provider {
  readonly name: string;
  /** Whether it calls a service that needs a key (looked up per task; `echo` needs none). */
  readonly needsApiKey: boolean;
  run(input: TaskInput, ctx: ProviderContext): Promise<ProviderResult>;
}

/**
 * Runs other agents' tasks on behalf of an action (`agent.delegate`): submits a child and lets
 * the parent wait for it without holding a slot. Implemented by the task queue.
 */
export interface TaskRunner {
  /** Submits the child, or answers the existing one when `taskId` was submitted before. */
  submitChild(request: ChildTaskRequest & { taskId: string }): Promise<Task>;
  /** How many children a task started, over all its turns (the fan-out limit). */
  countChildren(parentId: string): Promise<number>;
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
  priority?: number;
}
