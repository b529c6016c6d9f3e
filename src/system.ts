/**
 * The composition root: builds every component from a Config, in dependency order, and closes
 * them in reverse. Nothing else constructs long-lived objects, so tests build a System the same
 * way production does (with their own Config).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from './config.js';
import { AgentManager } from './core/agentManager.js';
import { Engine } from './core/engine.js';
import { EventBus } from './core/eventBus.js';
import { createProviderRegistry, PROVIDER_NAMES, type ProviderRegistry } from './core/providers/registry.js';
import { TaskQueue, type TaskQueueOptions } from './core/queue/taskQueue.js';
import { type Db, openDb } from './db/index.js';
import { migrate } from './db/migrate.js';
import { createLogger, type Logger } from './logger.js';
import { createRepositories, type Repositories } from './repositories/index.js';
import { AuditService } from './security/audit.js';
import { type ResolvedSecrets, resolveSecrets } from './security/localSecrets.js';

/** Model providers the engine ships with (from the provider registry). */
export const BUILTIN_PROVIDERS = PROVIDER_NAMES;

export interface SystemOptions {
  logger?: Logger;
  /** Apply pending migrations at start (default true; `bsm serve --no-migrate` turns it off). */
  migrate?: boolean;
  /** Inject an already-open database (tests). */
  db?: Db;
  /** Whether `engine.start()` also runs tasks on this node (default `BSM_WORKER`). */
  worker?: boolean;
  /** Queue tuning (tests use short leases and back-offs). */
  queue?: Partial<Omit<TaskQueueOptions, 'nodeId'>>;
}

export interface ReadinessCheck {
  name: string;
  /** A failing critical check makes /ready answer 503; a non-critical one reports "degraded". */
  critical: boolean;
  check: () => Promise<void>;
}

export interface System {
  config: Config;
  logger: Logger;
  db: Db;
  /** Identifies this process among the nodes sharing the database (leases, event echo). */
  nodeId: string;
  /** JWT and encryption keys: from the environment, or generated once in BSM_DATA_DIR. */
  secrets: ResolvedSecrets;
  repos: Repositories;
  events: EventBus;
  audit: AuditService;
  agents: AgentManager;
  providers: ProviderRegistry;
  queue: TaskQueue;
  engine: Engine;
  readiness: ReadinessCheck[];
  close(): Promise<void>;
}

export async function createSystem(config: Config, options: SystemOptions = {}): Promise<System> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const secrets = resolveSecrets(config);
  const db = options.db ?? (await openDb(config, logger));
  const closers: Array<() => Promise<void>> = [() => db.close()];
  try {
    await db.ping();
    if (options.migrate ?? true) await migrate(db, logger);
    const repos = createRepositories(db);
    const nodeId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    const events = new EventBus(nodeId, logger);
    await events.start();
    closers.push(() => events.stop());
    const audit = new AuditService(repos.auditLogs, logger);
    const providers = createProviderRegistry(config);
    const agents = new AgentManager({
      events,
      repo: repos.agents,
      logger,
      providers: () => providers.names(),
      actions: () => [],
    });
    const queue = new TaskQueue(
      { db, repos, events, agents, providers, logger },
      {
        nodeId,
        maxConcurrent: config.maxConcurrentTasks,
        pollIntervalMs: config.pollIntervalMs,
        ...options.queue,
      },
    );
    const runWorker = options.worker ?? config.worker;
    const engine = new Engine(
      [
        { name: 'database', start: () => db.ping(), status: () => ({ driver: db.driver }) },
        { name: 'eventBus', metrics: () => events.metrics() },
        { name: 'agentManager', metrics: () => agents.metrics() },
        {
          name: 'taskQueue',
          start: async () => {
            if (runWorker) await queue.start();
          },
          stop: () => queue.stop(),
          status: () => ({ worker: queue.workerRunning, maxConcurrent: config.maxConcurrentTasks }),
          metrics: () => queue.stats(),
        },
      ],
      events,
      logger,
      nodeId,
    );
    // The queue may have been started on its own (tests, `bsm task submit` on PGlite): stop it too.
    closers.push(async () => {
      await engine.stop();
      await queue.stop();
    });
    const readiness: ReadinessCheck[] = [{ name: 'database', critical: true, check: () => db.ping() }];
    return {
      config,
      logger,
      db,
      nodeId,
      secrets,
      repos,
      events,
      audit,
      agents,
      providers,
      queue,
      engine,
      readiness,
      async close() {
        for (const close of closers.reverse()) {
          await close().catch((err: unknown) => logger.warn({ err }, 'error while closing'));
        }
      },
    };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}
