/**
 * The spans of the product's own work (SPEC §14), by OpenTelemetry's semantic conventions:
 * task submit → claim → run linked across processes through the task's stored `traceparent`,
 * model calls as GenAI client spans, tool calls as `execute_tool` spans.
 */
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { contextFrom, currentTraceparent, inSpan, tracer, tracingEnabled } from './tracing.js';

/** Wraps the insert of a task: `fn` gets the `traceparent` to store on it (null with tracing off). */
export function traceTaskSubmit<T>(
  task: { taskId: string; agentId: string },
  fn: (traceparent: string | null) => Promise<T>,
): Promise<T> {
  return inSpan(
    'task.submit',
    { kind: SpanKind.PRODUCER, attributes: { 'bsm.task.id': task.taskId, 'bsm.agent.id': task.agentId } },
    () => fn(currentTraceparent()),
  );
}

/**
 * Runs one attempt of a task under a `task.run` span whose parent is the submit span, wherever it
 * was submitted; a zero-length `task.claim` span marks when this node took it.
 */
export function traceTaskRun<T>(
  task: { taskId: string; retryCount: number },
  traceparent: string | null | undefined,
  node: string,
  fn: () => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return fn();
  const parent = traceparent ? contextFrom({ traceparent }) : ROOT_CONTEXT;
  const attributes = {
    'bsm.task.id': task.taskId,
    'bsm.task.attempt': task.retryCount + 1,
    'bsm.node.id': node,
  };
  tracer().startSpan('task.claim', { kind: SpanKind.CONSUMER, attributes }, parent).end();
  return inSpan('task.run', { kind: SpanKind.CONSUMER, attributes }, fn, parent);
}

export interface TokenUsage {
  inputTokens?: number;
  outputTokens?: number;
}

/** One model call (a chat completion) as a GenAI client span: `chat <model>`. */
export function traceModelCall<T>(
  system: string,
  model: string,
  fn: () => Promise<T>,
  usage: (result: T) => TokenUsage,
): Promise<T> {
  return inSpan(
    `chat ${model}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': system,
        'gen_ai.provider.name': system,
        'gen_ai.request.model': model,
      },
    },
    async (span) => {
      const result = await fn();
      const { inputTokens, outputTokens } = usage(result);
      if (inputTokens !== undefined) span?.setAttribute('gen_ai.usage.input_tokens', inputTokens);
      if (outputTokens !== undefined) span?.setAttribute('gen_ai.usage.output_tokens', outputTokens);
      return result;
    },
  );
}

/** One tool (action) call the model asked for: `execute_tool <name>`. */
export function traceToolCall<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return inSpan(
    `execute_tool ${name}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name },
    },
    () => fn(),
  );
}

interface Invoker<A extends unknown[]> {
  invoke(name: string, ...rest: A): Promise<unknown>;
}

/** The same tool invoker, each call under an `execute_tool` span (the invoker itself with tracing off). */
export function traceTools<A extends unknown[], T extends Invoker<A>>(tools: T | undefined): T | undefined {
  if (!tools || !tracingEnabled()) return tools;
  return {
    ...tools,
    invoke: (name: string, ...rest: A) => traceToolCall(name, () => tools.invoke(name, ...rest)),
  };
}
