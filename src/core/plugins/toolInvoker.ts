/**
 * The agent's allowed actions as one task's tools (the `ToolInvoker` contract a provider uses).
 * Every call is checked against the agent's allow-list, validated against the action's schema,
 * run with the plugin system's time limit, and audited — refused calls included. A refusal or
 * failure is thrown as an ActionError whose message the provider hands back to the model.
 * A call of an action the agent's `config.approval` lists becomes an approval request instead:
 * the answer is `Deferred` and the task waits for a person (SPEC §11).
 */
import type { Agent, Task } from '../../domain.js';
import type { Logger } from '../../logger.js';
import type { AuditService } from '../../security/audit.js';
import { approvalPolicy, type OnTimeout } from '../approvals/policy.js';
import type { EventBus } from '../eventBus.js';
import { Deferred, type TaskRunner, type ToolDefinition, type ToolInvoker } from '../providers/types.js';
import { ActionError, refused } from './actionError.js';
import { delegationDepth } from './builtins/delegate.js';
import type { PluginSystem } from './pluginSystem.js';

export interface ToolInvokerDeps {
  agent: Agent;
  task: Task;
  pluginSystem: PluginSystem;
  audit: AuditService;
  logger: Logger;
  /** Kept for hooks that want to follow tool use; the invoker itself only audits. */
  events?: EventBus;
  runner?: TaskRunner;
  /** Opens approval requests (the approval service); without it no call waits for a person. */
  approvals?: ToolApprovals;
}

/** What the invoker asks of the approval service. */
export interface ToolApprovals {
  /** Opens (or finds, for the same `key`) the request for one tool call; answers its id. */
  requestToolCall(request: {
    task: Task;
    action: string;
    args: unknown;
    key: string;
    timeoutSeconds: number;
    onTimeout: OnTimeout;
  }): Promise<string>;
}

/** Long argument strings are cut in the audit row: it records what ran, not a copy of the data. */
function auditable(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > 500 ? `${value.slice(0, 500)}…` : value;
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => auditable(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, auditable(v, depth + 1)]));
}

export function createToolInvoker(deps: ToolInvokerDeps): ToolInvoker {
  const { agent, task, pluginSystem, audit, logger } = deps;
  const allowed = agent.status === 'active' ? agent.actions.filter((name) => pluginSystem.has(name)) : [];
  const definitions: ToolDefinition[] = allowed.map((name) => pluginSystem.definition(name)!);
  const counters = new Map<string, number>();
  const depth = delegationDepth(task.metadata);
  const policy = approvalPolicy(agent.config);

  const record = (action: string, name: string, details: Record<string, unknown>) =>
    audit.record({
      action,
      resourceType: 'agent',
      resourceId: agent.agentId,
      details: { tool: name, taskId: task.taskId, ...details },
    });

  return {
    definitions,
    async invoke(name, args, signal, call = {}) {
      if (!allowed.includes(name)) {
        const reason = agent.actions.includes(name)
          ? `Action ${name} is not available right now`
          : `Action ${name} is not allowed for agent ${agent.agentId}; allowed actions: ${allowed.join(', ') || 'none'}`;
        await record('action.refused', name, { reason });
        throw refused(reason);
      }
      const problem = pluginSystem.validate(name, args);
      if (problem) {
        const reason = `Invalid arguments for ${name}: ${problem}`;
        await record('action.refused', name, { reason });
        throw refused(reason);
      }
      if (policy?.actions.has(name) && !call.approved && deps.approvals) {
        const approvalId = await deps.approvals.requestToolCall({
          task,
          action: name,
          args,
          key: call.key ?? `${Date.now()}`,
          timeoutSeconds: policy.timeoutSeconds,
          onTimeout: policy.onTimeout,
        });
        return new Deferred({ kind: 'approval', approvalId });
      }
      const started = Date.now();
      try {
        const result = await pluginSystem.invoke(
          name,
          { signal, task, agent, logger, runner: deps.runner, depth, counters, callKey: call.key },
          args as Record<string, unknown>,
        );
        await record('action.invoke', name, {
          arguments: auditable(args),
          ok: true,
          durationMs: Date.now() - started,
        });
        return result;
      } catch (error) {
        const failure = error instanceof ActionError ? error : new ActionError(String(error), 'failed');
        await record('action.invoke', name, {
          arguments: auditable(args),
          ok: false,
          reason: failure.reason,
          error: failure.message,
          durationMs: Date.now() - started,
        });
        throw failure;
      }
    },
  };
}
