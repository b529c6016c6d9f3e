/**
 * A waiting task's checkpoint (`tasks.checkpoint`): its conversation so far, and how much running
 * time it used (a task's `timeoutSeconds` counts running time only, never waiting — SPEC §11).
 * Resuming answers the deferred calls of the last turn from the database — each child's output,
 * each person's decision — so the provider continues without asking the model again.
 */

import type { Task } from '../../domain.js';
import { TERMINAL_TASK_STATUSES } from '../../domain.js';
import type { ApprovalRecord } from '../../repositories/approvals.js';
import { childAnswer } from '../plugins/builtins/delegate.js';
import {
  type Conversation,
  Deferred,
  TaskWaiting,
  type ToolInvoker,
  type TurnCall,
} from '../providers/types.js';

export interface Checkpoint {
  conversation: Conversation;
  /** Running time used by the attempt so far, in ms. */
  elapsedMs: number;
  /** The attempt (retry count) that used it: a retry starts its time budget afresh. */
  attempt: number;
}

export function readCheckpoint(raw: unknown): Checkpoint | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const c = raw as Partial<Checkpoint>;
  if (!c.conversation || !Array.isArray(c.conversation.messages)) return undefined;
  return {
    conversation: c.conversation,
    elapsedMs: Number(c.elapsedMs) || 0,
    attempt: Number(c.attempt) || 0,
  };
}

/** Where the answers of deferred calls are read from. */
export interface WaitSources {
  task(taskId: string): Promise<Task>;
  approval(approvalId: string): Promise<ApprovalRecord>;
}

/** Whether an approval lets its call run, and with which arguments. */
export function approvalOutcome(a: ApprovalRecord): { run: boolean; args: unknown } | undefined {
  if (a.status === 'pending') return undefined;
  if (a.status === 'approved') return { run: true, args: a.args };
  if (a.status === 'expired' && a.onTimeout === 'approve') return { run: true, args: a.originalArgs };
  return { run: false, args: a.args };
}

const notRun = (call: TurnCall) =>
  call.wait === undefined && call.result === undefined && call.error === undefined && !call.status;

/**
 * Answers every open call of the last turn: a deferred one from its child or decision, one that
 * never ran (the turn was saved, then the worker died or the attempt failed) by running it now
 * under the same key — a delegation or approval request finds what it started. A call whose
 * child or decision is still open (or an approved call that itself defers, e.g. an approved
 * delegation) keeps its wait, and the task waits again: `TaskWaiting` with the updated conversation.
 */
export async function answerDeferredCalls(
  conversation: Conversation,
  sources: WaitSources,
  tools: ToolInvoker | undefined,
  signal: AbortSignal,
): Promise<Conversation> {
  for (const [index, call] of conversation.turn.entries()) {
    const key = `${conversation.step}:${index}`;
    if (call.wait) await answer(call, sources, tools, signal, key);
    else if (notRun(call)) await run(call, call.arguments, tools, signal, key, false);
  }
  if (conversation.turn.some((c) => c.wait)) throw new TaskWaiting(conversation);
  return conversation;
}

async function answer(
  call: TurnCall,
  sources: WaitSources,
  tools: ToolInvoker | undefined,
  signal: AbortSignal,
  key: string,
): Promise<void> {
  const wait = call.wait!;
  if (wait.kind === 'task') {
    const child = await sources.task(wait.taskId);
    if (!TERMINAL_TASK_STATUSES.includes(child.status)) return;
    Object.assign(call, childAnswer(child, wait.agentId));
    delete call.wait;
    return;
  }
  const approval = await sources.approval(wait.approvalId);
  const outcome = approvalOutcome(approval);
  if (!outcome) return;
  delete call.wait;
  if (!outcome.run) {
    call.result = { error: 'rejected', comment: approval.comment };
    call.status = 'rejected';
    return;
  }
  call.arguments = outcome.args;
  await run(call, outcome.args, tools, signal, key, true);
}

async function run(
  call: TurnCall,
  args: unknown,
  tools: ToolInvoker | undefined,
  signal: AbortSignal,
  key: string,
  approved: boolean,
): Promise<void> {
  if (!tools) {
    call.error = `Action ${call.name} is not available`;
    return;
  }
  try {
    const result = await tools.invoke(call.name, args, signal, { key, approved });
    if (result instanceof Deferred) call.wait = result.wait;
    else call.result = result ?? null;
  } catch (error) {
    signal.throwIfAborted();
    call.error = error instanceof Error ? error.message : String(error);
  }
}
