import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Logger } from '../../logger.js';
import type { EventBus } from '../eventBus.js';
import { EVENT_TYPES, type EventType } from '../events.js';
import type { ToolDefinition } from '../providers/types.js';
import { ActionError } from './actionError.js';
import { resolvePluginPackage } from './resolvePackage.js';
import type { ActionContext, PluginAction, PluginModule, PluginStatus } from './types.js';

export const DEFAULT_ACTION_TIMEOUT_MS = 30_000;
/** A plugin whose module does not finish loading in this time (top-level await that hangs) is failed. */
export const DEFAULT_LOAD_TIMEOUT_MS = 10_000;
const ACTION_NAME_RE = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$/;
const PLUGIN_FILE_RE = /\.(m?js)$/;

export interface PluginSystemOptions {
  logger: Logger;
  events: EventBus;
  actionTimeoutMs?: number;
  loadTimeoutMs?: number;
  /** Where npm plugin packages are installed (`<dir>/node_modules`); defaults to the working directory. */
  packageBaseDir?: string;
}

interface Registered {
  action: PluginAction;
  plugin: PluginStatus;
  validate: ValidateFunction;
}

/** Runs `work` but gives up after `ms`, rejecting with `onTimeout()`. */
function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Loads plugins and runs their actions, keeping the engine safe from them: a plugin that throws
 * while loading is recorded as failed; a handler that throws or hangs ends its one call with an
 * ActionError (and a counter), a hook that throws is logged. Nothing a plugin does escapes.
 */
export class PluginSystem {
  private readonly plugins: PluginStatus[] = [];
  private readonly actions = new Map<string, Registered>();
  private readonly unsubscribers: Array<() => void> = [];
  // Action schemas are the plugin author's; strict mode would turn a harmless unknown keyword
  // (e.g. `examples`) into a load failure.
  private readonly ajv = new Ajv({ allErrors: false, strict: false, coerceTypes: false });

  constructor(private readonly options: PluginSystemOptions) {}

  /** Loads every `.js`/`.mjs` file of `dir` (a missing directory has none), then each package. */
  async loadAll(dir: string, packages: readonly string[]): Promise<void> {
    for (const file of await this.pluginFiles(dir)) {
      await this.load(file, () => import(pathToFileURL(file).href));
    }
    const baseDir = this.options.packageBaseDir ?? process.cwd();
    for (const name of packages) await this.load(name, () => import(resolvePluginPackage(name, baseDir)));
  }

  /** Imports one module and registers its plugin; any failure is recorded against `source`. */
  async load(source: string, importer: () => Promise<unknown>): Promise<PluginStatus> {
    let mod: unknown;
    try {
      mod = await withTimeout(
        importer(),
        this.options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS,
        () => new Error('loading timed out'),
      );
    } catch (error) {
      return this.fail(source, null, `could not load: ${message(error)}`);
    }
    const candidate = (mod as { default?: unknown }).default ?? mod;
    return this.register(candidate as PluginModule, source);
  }

  /** Registers an already-imported plugin (the built-ins, tests). */
  register(plugin: PluginModule, source: string): PluginStatus {
    const name = typeof plugin?.name === 'string' ? plugin.name : null;
    const validators = new Map<string, ValidateFunction>();
    const problem = this.problemWith(plugin, validators);
    if (problem) return this.fail(source, name, problem);
    const status: PluginStatus = {
      name: plugin.name,
      version: plugin.version,
      source,
      status: 'loaded',
      actions: plugin.actions.map((a) => a.name),
      error: null,
      calls: 0,
      failures: 0,
      timeouts: 0,
      hookFailures: 0,
    };
    for (const action of plugin.actions) {
      this.actions.set(action.name, {
        action,
        plugin: status,
        validate: this.ajv.compile(action.parameters),
      });
    }
    this.subscribeHooks(plugin, status);
    this.plugins.push(status);
    this.options.logger.info({ plugin: status.name, source, actions: status.actions }, 'plugin loaded');
    this.options.events.emit('plugin:loaded', {
      name: status.name,
      version: status.version,
      source,
      actions: status.actions,
    });
    return status;
  }

  listPlugins(): PluginStatus[] {
    return this.plugins.map((p) => ({ ...p, actions: [...p.actions] }));
  }

  actionNames(): string[] {
    return [...this.actions.keys()].sort();
  }

  has(name: string): boolean {
    return this.actions.has(name);
  }

  definition(name: string): ToolDefinition | undefined {
    const found = this.actions.get(name);
    if (!found) return undefined;
    const { description, parameters } = found.action;
    return { name, description, parameters };
  }

  /** `null` when `args` fit the action's schema, else one line naming the problem. */
  validate(name: string, args: unknown): string | null {
    const found = this.actions.get(name);
    if (!found) return `unknown action ${name}`;
    if (found.validate(args)) return null;
    const first = found.validate.errors?.[0];
    if (!first) return 'arguments are invalid';
    const where = `arguments${first.instancePath.replace(/\//g, '.')}`;
    if (first.keyword === 'additionalProperties') {
      return `${where} has an unexpected property "${(first.params as { additionalProperty: string }).additionalProperty}"`;
    }
    return `${where} ${first.message ?? 'is invalid'}`;
  }

  /**
   * Runs one call: the handler sees a signal that aborts on the task's signal or the time limit,
   * and the call ends when either fires even if the handler ignores it.
   */
  async invoke(name: string, ctx: ActionContext, args: Record<string, unknown>): Promise<unknown> {
    const found = this.actions.get(name);
    if (!found) throw new ActionError(`Action ${name} is not available`, 'refused');
    const { action, plugin } = found;
    const limitMs = action.timeoutMs ?? this.options.actionTimeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS;
    const timeout = new AbortController();
    const signal = AbortSignal.any([ctx.signal, timeout.signal]);
    plugin.calls += 1;
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () =>
        reject(
          timeout.signal.aborted
            ? new ActionError(`Action ${name} timed out after ${limitMs} ms`, 'timeout')
            : new ActionError(`Action ${name} was aborted: the task is stopping`, 'failed'),
        );
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    const timer = setTimeout(() => timeout.abort(), limitMs);
    try {
      const work = (async () => action.handler({ ...ctx, signal }, args))();
      return await Promise.race([work, aborted]);
    } catch (error) {
      const failure = error instanceof ActionError ? error : new ActionError(message(error), 'failed');
      if (failure.reason === 'timeout') plugin.timeouts += 1;
      if (failure.reason !== 'refused') {
        plugin.failures += 1;
        plugin.error = failure.message;
      }
      ctx.logger.warn({ action: name, plugin: plugin.name, err: failure.message }, 'action call failed');
      throw failure;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
  }

  /** Why `plugin` cannot be registered, or null (then `validators` holds each action's compiled schema). */
  private problemWith(plugin: PluginModule, validators: Map<string, ValidateFunction>): string | null {
    if (!plugin || typeof plugin !== 'object') return 'module exports no plugin object';
    if (typeof plugin.name !== 'string' || !plugin.name.trim()) return 'plugin has no name';
    if (typeof plugin.version !== 'string') return 'plugin has no version';
    if (!Array.isArray(plugin.actions)) return 'plugin.actions must be an array';
    const seen = new Set<string>();
    for (const action of plugin.actions) {
      const label = typeof action?.name === 'string' ? action.name : '(unnamed)';
      if (!ACTION_NAME_RE.test(label)) return `action ${label} must be named like namespace.verb`;
      if (seen.has(label) || this.actions.has(label)) {
        const owner = this.actions.get(label)?.plugin.name ?? plugin.name;
        return `action ${label} is already registered by plugin ${owner}`;
      }
      seen.add(label);
      if (typeof action.handler !== 'function') return `action ${label} has no handler`;
      if (typeof action.description !== 'string') return `action ${label} has no description`;
      if (!action.parameters || typeof action.parameters !== 'object') {
        return `action ${label} has no parameters schema`;
      }
      try {
        validators.set(label, this.ajv.compile(action.parameters));
      } catch (error) {
        return `action ${label} has an invalid parameters schema: ${message(error)}`;
      }
    }
    return null;
  }

  private subscribeHooks(plugin: PluginModule, status: PluginStatus): void {
    for (const [type, hook] of Object.entries(plugin.hooks ?? {})) {
      if (!EVENT_TYPES.includes(type as EventType) || typeof hook !== 'function') {
        this.options.logger.warn({ plugin: status.name, type }, 'plugin hook for an unknown event ignored');
        continue;
      }
      const onHookError = (error: unknown) => {
        status.hookFailures += 1;
        status.error = `hook ${type}: ${message(error)}`;
        this.options.logger.error({ plugin: status.name, type, err: message(error) }, 'plugin hook threw');
      };
      const unsubscribe = this.options.events.subscribe(
        (event) => {
          try {
            Promise.resolve(hook(event)).catch(onHookError);
          } catch (error) {
            onHookError(error);
          }
        },
        [type as EventType],
      );
      this.unsubscribers.push(unsubscribe);
    }
  }

  private fail(source: string, name: string | null, error: string): PluginStatus {
    const status: PluginStatus = {
      name: name ?? path.basename(source),
      version: null,
      source,
      status: 'failed',
      actions: [],
      error,
      calls: 0,
      failures: 0,
      timeouts: 0,
      hookFailures: 0,
    };
    this.plugins.push(status);
    this.options.logger.error({ source, err: error }, 'plugin failed to load');
    return status;
  }

  private async pluginFiles(dir: string): Promise<string[]> {
    try {
      const entries = await readdir(dir, { withFileTypes: true });
      return entries
        .filter((e) => e.isFile() && PLUGIN_FILE_RE.test(e.name))
        .map((e) => path.join(dir, e.name))
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      this.fail(dir, null, `could not read the plugins directory: ${message(error)}`);
      return [];
    }
  }
}
