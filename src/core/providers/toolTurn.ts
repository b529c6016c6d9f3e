/**
 * One model turn's tool calls, the same way for every provider: each call runs through the
 * task's `ToolInvoker` in call order; a call that continues without the task (a delegation, an
 * approval) is kept with what it waits for, and the provider then throws `TaskWaiting` so the
 * worker parks the task. Answers go back to the model in call order whatever order they came in.
 */
import { Deferred, type StreamSink, type ToolCallRecord, type ToolInvoker, type TurnCall } from './types.js';

export interface RequestedCall {
  id: string;
  name: string;
  arguments: unknown;
}

/**
 * Runs the calls in order; deferred ones come back with `wait` set and no result yet. A streaming
 * task's stream hears each call as it starts and each answer as it arrives.
 */
export async function runTurn(
  calls: RequestedCall[],
  tools: ToolInvoker,
  signal: AbortSignal,
  step: number,
  stream?: StreamSink,
): Promise<TurnCall[]> {
  const turn: TurnCall[] = [];
  for (const [index, call] of calls.entries()) {
    const entry: TurnCall = { id: call.id, step, name: call.name, arguments: call.arguments };
    stream?.toolCall({ id: call.id, name: call.name, arguments: call.arguments });
    try {
      const result = await tools.invoke(call.name, call.arguments, signal, { key: `${step}:${index}` });
      if (result instanceof Deferred) entry.wait = result.wait;
      // Never undefined once run: a saved turn tells calls that ran from calls that did not.
      else entry.result = result ?? null;
    } catch (error) {
      signal.throwIfAborted();
      entry.error = error instanceof Error ? error.message : String(error);
    }
    if (entry.wait === undefined) {
      stream?.toolResult({ id: call.id, name: call.name, ...(entry.error ? { error: entry.error } : {}) });
    }
    turn.push(entry);
  }
  return turn;
}

export const isWaiting = (turn: TurnCall[]) => turn.some((call) => call.wait !== undefined);

/** What the model reads as the call's answer. */
export function answerText(call: ToolCallRecord): string {
  return call.error ? `error: ${call.error}` : JSON.stringify(call.result ?? null);
}

/** The call as `output.toolCalls` lists it. */
export function toRecord(call: TurnCall): ToolCallRecord {
  const record: ToolCallRecord = { id: call.id, step: call.step, name: call.name, arguments: call.arguments };
  if (call.result !== undefined) record.result = call.result;
  if (call.error !== undefined) record.error = call.error;
  if (call.status) record.status = call.status;
  return record;
}
