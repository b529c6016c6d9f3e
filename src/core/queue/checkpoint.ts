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

/**
 * Answers every deferred call of the last turn. A call whose child or decision is still open (or
 * an approved call that itself defers, e.g. an approved delegation) keeps its wait, and the task
 * waits again: `TaskWaiting` with the updated conversation.
 */
export async function answerDeferredCalls(
  conversation: Conversation,
  sources: WaitSources,
  tools: ToolInvoker | undefined,
  signal: AbortSignal,
): Promise<Conversation> {
  for (const [index, call] of conversation.turn.entries()) {
    if (!call.wait) continue;
    await answer(call, sources, tools, signal, `${conversation.step}:${index}`);
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
  if (!tools) {
    call.error = `Action ${call.name} is not available`;
    return;
  }
  try {
    const result = await tools.invoke(call.name, outcome.args, signal, { key, approved: true });
    if (result instanceof Deferred) call.wait = result.wait;
    else call.result = result;
  } catch (error) {
    signal.throwIfAborted();
    call.error = error instanceof Error ? error.message : String(error);
  }
}
