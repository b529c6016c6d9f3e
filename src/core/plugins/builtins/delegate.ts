/**
 * `agent.delegate`: runs another agent as a child task. The parent does not block a worker slot
 * while the child runs: the call answers `Deferred`, the parent waits (SPEC §11), and the child's
 * end resumes it with the child's output text (or its error) as the tool's answer. Two limits
 * keep agents from multiplying: the depth of the delegation chain (which also ends an agent
 * delegating to itself in a loop) and how many children one task may start.
 */
import type { Task } from '../../../domain.js';
import { Deferred } from '../../providers/types.js';
import { ActionError, refused } from '../actionError.js';
import type { PluginModule } from '../types.js';

export const DEFAULT_MAX_DELEGATION_DEPTH = 3;
export const DEFAULT_MAX_DELEGATIONS_PER_TASK = 5;
/**
 * The child's id: derived from the parent and the call, so a parent resumed after a crash that
 * asks again finds the child it already started instead of starting a second one.
 */
export const childTaskId = (parentId: string, callKey: string) =>
  `dlg_${parentId.replace(/-/g, '')}_${callKey.replace(/[^0-9A-Za-z]/g, '_')}`;

/** Where a task sits in a delegation chain: kept in its metadata by the child it spawned. */
export function delegationDepth(metadata: Record<string, unknown> | undefined): number {
  const depth = metadata?.delegationDepth;
  return typeof depth === 'number' && Number.isInteger(depth) && depth >= 0 ? depth : 0;
}

function limit(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fallback;
}

/** What the parent's model reads when its child ended: the output text, or why it did not finish. */
export function childAnswer(child: Task, agentId: string): { result?: unknown; error?: string } {
  if (child.status !== 'completed') {
    return {
      error: `Delegated task ${child.taskId} ended ${child.status}${child.error ? `: ${child.error}` : ''}`,
    };
  }
  return { result: { taskId: child.taskId, agentId, text: outputText(child.output) } };
}

function outputText(output: unknown): string {
  if (output && typeof output === 'object' && typeof (output as { text?: unknown }).text === 'string') {
    return (output as { text: string }).text;
  }
  return output === null || output === undefined ? '' : JSON.stringify(output);
}

export const delegatePlugin: PluginModule = {
  name: 'agent',
  version: '1.0.0',
  actions: [
    {
      name: 'agent.delegate',
      description:
        'Ask another agent to do a sub-task. Runs it as a child task, waits, and answers its output text.',
      parameters: {
        type: 'object',
        additionalProperties: false,
        required: ['agentId', 'prompt'],
        properties: {
          agentId: { type: 'string', minLength: 1, maxLength: 100 },
          prompt: { type: 'string', minLength: 1, maxLength: 100_000 },
        },
      },
      async handler(ctx, args) {
        if (!ctx.runner) throw new ActionError('Delegation is not available on this node', 'failed');
        const maxDepth = limit(ctx.agent.config.maxDelegationDepth, DEFAULT_MAX_DELEGATION_DEPTH);
        const childDepth = ctx.depth + 1;
        if (childDepth > maxDepth) {
          throw refused(`Delegation depth limit (${maxDepth}) reached; answer without delegating`);
        }
        const maxChildren = limit(ctx.agent.config.maxDelegationsPerTask, DEFAULT_MAX_DELEGATIONS_PER_TASK);
        const taskId = childTaskId(ctx.task.id, ctx.callKey ?? `${Date.now()}`);
        // Counted in the database: the task's earlier turns may have run on other nodes.
        const started = await ctx.runner.countChildren(ctx.task.id);
        if (started >= maxChildren) {
          throw refused(`This task already delegated ${started} times (limit ${maxChildren})`);
        }
        const agentId = String(args.agentId);
        const child = await ctx.runner.submitChild({
          taskId,
          agentId,
          input: { prompt: String(args.prompt) },
          // tasks.parent_task_id references tasks(id): the parent's UUID, not its taskId handle.
          parentTaskId: ctx.task.id,
          // The child works for the parent's owner, at the parent's priority (SPEC §11).
          createdBy: ctx.task.createdBy,
          priority: ctx.task.priority,
          metadata: { delegationDepth: childDepth, parentTaskId: ctx.task.taskId },
        });
        return new Deferred({ kind: 'task', taskId: child.taskId, agentId });
      },
    },
  ],
};
