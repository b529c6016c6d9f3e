/**
 * The composition root: builds every component from a Config, in dependency order, and closes
 * them in reverse. Nothing else constructs long-lived objects, so tests build a System the same
 * way production does (with their own Config).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from './config.js';
import { AgentManager } from './core/agentManager.js';
import { EventBus } from './core/eventBus.js';
import { type Db, openDb } from './db/index.js';
import { migrate } from './db/migrate.js';
import { createLogger, type Logger } from './logger.js';
import { createRepositories, type Repositories } from './repositories/index.js';
import { AuditService } from './security/audit.js';
import { SecurityHub, type SecurityHubOptions } from './security/hub.js';
import { type ResolvedSecrets, resolveSecrets } from './security/localSecrets.js';

/** Model providers the engine ships with. */
export const BUILTIN_PROVIDERS = ['echo', 'openai'] as const;

export interface SystemOptions {
  logger?: Logger;
  /** Apply pending migrations at start (default true; `bsm serve --no-migrate` turns it off). */
  migrate?: boolean;
  /** Inject an already-open database (tests). */
  db?: Db;
  /** Security hub overrides (tests: lockout thresholds). */
  security?: SecurityHubOptions;
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
  /** Users, tokens, API keys, RBAC guard, rate limits, threat detection. */
  security: SecurityHub;
  agents: AgentManager;
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
    const security = await SecurityHub.create(
      { config, secrets, db, repos, audit, events, logger },
      options.security,
    );
    closers.push(() => security.close());
    const agents = new AgentManager({
      events,
      repo: repos.agents,
      logger,
      providers: () => BUILTIN_PROVIDERS,
      actions: () => [],
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
      security,
      agents,
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
