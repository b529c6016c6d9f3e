/**
 * `agent.delegate`: runs another agent as a child task and answers its output text. Two limits
 * keep agents from multiplying: the depth of the delegation chain (which also ends an agent
 * delegating to itself in a loop) and how many children one task may start.
 */
import { ActionError, refused } from '../actionError.js';
import type { PluginModule } from '../types.js';

export const DEFAULT_MAX_DELEGATION_DEPTH = 3;
export const DEFAULT_MAX_DELEGATIONS_PER_TASK = 5;
/** How long a parent waits for its child; the action's own time limit is a little longer. */
export const DELEGATION_WAIT_MS = 5 * 60_000;
const FAN_OUT_COUNTER = 'agent.delegate';

/** Where a task sits in a delegation chain: kept in its metadata by the child it spawned. */
export function delegationDepth(metadata: Record<string, unknown> | undefined): number {
  const depth = metadata?.delegationDepth;
  return typeof depth === 'number' && Number.isInteger(depth) && depth >= 0 ? depth : 0;
}

function limit(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fallback;
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
      timeoutMs: DELEGATION_WAIT_MS + 5_000,
      async handler(ctx, args) {
        if (!ctx.runner) throw new ActionError('Delegation is not available on this node', 'failed');
        const maxDepth = limit(ctx.agent.config.maxDelegationDepth, DEFAULT_MAX_DELEGATION_DEPTH);
        const childDepth = ctx.depth + 1;
        if (childDepth > maxDepth) {
          throw refused(`Delegation depth limit (${maxDepth}) reached; answer without delegating`);
        }
        const maxChildren = limit(ctx.agent.config.maxDelegationsPerTask, DEFAULT_MAX_DELEGATIONS_PER_TASK);
        const started = ctx.counters.get(FAN_OUT_COUNTER) ?? 0;
        if (started >= maxChildren) {
          throw refused(`This task already delegated ${started} times (limit ${maxChildren})`);
        }
        ctx.counters.set(FAN_OUT_COUNTER, started + 1);
        const child = await ctx.runner.submitAndWait(
          {
            agentId: String(args.agentId),
            input: { prompt: String(args.prompt) },
            // tasks.parent_task_id references tasks(id): the parent's UUID, not its taskId handle.
            parentTaskId: ctx.task.id,
            metadata: { delegationDepth: childDepth, parentTaskId: ctx.task.taskId },
          },
          DELEGATION_WAIT_MS,
        );
        if (child.status !== 'completed') {
          throw new ActionError(
            `Delegated task ${child.taskId} ended ${child.status}${child.error ? `: ${child.error}` : ''}`,
            'failed',
          );
        }
        return { taskId: child.taskId, agentId: String(args.agentId), text: outputText(child.output) };
      },
    },
  ],
};
