/**
 * What a plugin is (SPEC §5). A plugin module's default export (or the module itself) is a
 * `PluginModule`: a name, a version, actions the agents may be allowed to call, and optional
 * hooks on engine events.
 *
 * - action: one callable tool, named `namespace.verb` (`http.get`), unique across all plugins.
 * - handler: runs one call; it must honour `ctx.signal` (aborted on timeout, cancel, shutdown).
 * - hook: a listener on an engine event; a hook that throws is logged and counted, nothing more.
 */
import type { Agent, Task } from '../../domain.js';
import type { Logger } from '../../logger.js';
import type { BusEvent, EventType } from '../events.js';
import type { TaskRunner } from '../providers/types.js';

export interface ActionContext {
  /** Aborted when the call times out, the task is cancelled, or the worker shuts down. */
  signal: AbortSignal;
  task: Task;
  agent: Agent;
  logger: Logger;
  /** Runs other agents' tasks (`agent.delegate`); absent where no task queue is wired. */
  runner?: TaskRunner;
  /** How many delegations deep this task is (0 for a task a client submitted). */
  depth: number;
  /** Counters shared by every call of one task attempt (e.g. how many children it delegated). */
  counters: Map<string, number>;
  /** Stable id of this call within its task (model turn and position), when the provider gives one. */
  callKey?: string;
}

export interface PluginAction {
  /** `namespace.verb`, lowercase: `http.get`, `text.wordcount`. */
  name: string;
  description: string;
  /** JSON schema of the arguments (an object schema, OpenAI function-parameters format). */
  parameters: Record<string, unknown>;
  handler(ctx: ActionContext, args: Record<string, unknown>): unknown;
  /** Per-call time limit; defaults to the plugin system's (30 s). */
  timeoutMs?: number;
}

export type PluginHook = (event: BusEvent) => unknown;

export interface PluginModule {
  name: string;
  version: string;
  actions: PluginAction[];
  hooks?: Partial<Record<EventType, PluginHook>>;
}

/** How a plugin fared, as `GET /api/engine/status` shows it. */
export interface PluginStatus {
  name: string;
  version: string | null;
  /** `builtin`, a file path, or an npm package name. */
  source: string;
  status: 'loaded' | 'failed';
  actions: string[];
  /** Why it failed to load, or the last error one of its handlers or hooks raised. */
  error: string | null;
  calls: number;
  failures: number;
  timeouts: number;
  hookFailures: number;
}
