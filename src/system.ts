/**
 * The composition root: builds every component from a Config, in dependency order, and closes
 * them in reverse. Nothing else constructs long-lived objects, so tests build a System the same
 * way production does (with their own Config).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type CacheService, createCacheService } from './cache/index.js';
import { registerCacheMetrics } from './cache/metrics.js';
import type { Config } from './config.js';
import { AgentManager } from './core/agentManager.js';
import { ApprovalService } from './core/approvals/approvalService.js';
import { Engine } from './core/engine.js';
import { EventBus } from './core/eventBus.js';
import { registerCoreMetrics } from './core/metrics.js';
import type { HttpGetOptions } from './core/plugins/builtins/httpGet.js';
import { builtinPlugins } from './core/plugins/builtins/index.js';
import { PluginSystem } from './core/plugins/pluginSystem.js';
import { createToolInvoker } from './core/plugins/toolInvoker.js';
import { createProviderRegistry, PROVIDER_NAMES, type ProviderRegistry } from './core/providers/registry.js';
import { registerQueueMetrics } from './core/queue/metrics.js';
import { TaskQueue, type TaskQueueOptions } from './core/queue/taskQueue.js';
import { RedisEventTransport } from './core/redisEventTransport.js';
import { Scheduler, type SchedulerOptions } from './core/schedules/scheduler.js';
import { Schedules } from './core/schedules/schedules.js';
import { attemptStream } from './core/streams/attemptStream.js';
import { EventLog } from './core/streams/eventLog.js';
import { registerEventLogMetrics } from './core/streams/metrics.js';
import { Threads } from './core/threads/threads.js';
import { BudgetGuard } from './core/usage/budgetGuard.js';
import { followStepTasks, QueueWorkflowRunner } from './core/workflows/queueRunner.js';
import type { WorkflowTaskRunner } from './core/workflows/taskRunner.js';
import { WorkflowEngine } from './core/workflows/workflowEngine.js';
import { Workflows } from './core/workflows/workflows.js';
import { type Db, openDb } from './db/index.js';
import { migrate } from './db/migrate.js';
import { createLogger, type Logger } from './logger.js';
import { MetricsRegistry } from './metrics.js';
import { createRepositories, type Repositories } from './repositories/index.js';
import { AuditService } from './security/audit.js';
import { registerAuditHeadMetrics } from './security/auditHeadMetrics.js';
import { resolveAuditKeys } from './security/auditKeys.js';
import { ComplianceChecker } from './security/compliance.js';
import { CryptoService } from './security/crypto.js';
import { SecurityHub, type SecurityHubOptions } from './security/hub.js';
import { verifyKeyFingerprints } from './security/keyFingerprints.js';
import { type ResolvedSecrets, resolveSecrets } from './security/localSecrets.js';
import { registerSecurityMetrics } from './security/metrics.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './security/passwords.js';
import { detectPromptInjection } from './security/threats/promptInjection.js';
import { createVault, type Vault } from './security/vault/index.js';
import { startTracing } from './telemetry/tracing.js';

/** Model providers the engine ships with (from the provider registry). */
export const BUILTIN_PROVIDERS = PROVIDER_NAMES;

export interface SystemOptions {
  logger?: Logger;
  /** Apply pending migrations at start (default true; `bsm serve --no-migrate` turns it off). */
  migrate?: boolean;
  /** Inject an already-open database (tests). */
  db?: Db;
  /** How workflow steps become tasks: the task queue unless a test supplies its own. */
  workflowRunner?: WorkflowTaskRunner;
  /** Options of the built-in `http.get` (tests inject a resolver). */
  http?: HttpGetOptions;
  /** Security hub overrides (tests: lockout thresholds). */
  security?: SecurityHubOptions;
  /** Whether `engine.start()` also runs tasks on this node (default `BSM_WORKER`). */
  worker?: boolean;
  /** Queue tuning (tests use short leases and back-offs). */
  queue?: Partial<Omit<TaskQueueOptions, 'nodeId'>>;
  /** Scheduler tuning (tests use a short grace period). */
  scheduler?: SchedulerOptions;
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
  /** Events kept in PostgreSQL for resumable streams (Last-Event-ID on any node). */
  eventLog: EventLog;
  audit: AuditService;
  /** AES-256-GCM under the current key; older ENCRYPTION_KEYS still decrypt. */
  crypto: CryptoService;
  /** Named secrets: PostgreSQL (encrypted) or HashiCorp Vault when VAULT_ADDR/VAULT_TOKEN are set. */
  vault: Vault;
  compliance: ComplianceChecker;
  /** Redis when configured, else in-process; never fails a request (SPEC §4). */
  cache: CacheService;
  /** Users, tokens, API keys, RBAC guard, rate limits, threat detection. */
  security: SecurityHub;
  agents: AgentManager;
  /** Every component registers its numbers here; `GET /metrics` renders them. */
  metrics: MetricsRegistry;
  plugins: PluginSystem;
  workflows: Workflows;
  /** Runs workflows: each step a task on the queue. */
  workflowEngine: WorkflowEngine;
  providers: ProviderRegistry;
  queue: TaskQueue;
  /** Conversations: threads, their turns and the multitask policy. */
  threads: Threads;
  /** Cron schedules as clients manage them. */
  schedules: Schedules;
  /** Fires due schedules; runs in every process that runs the engine. */
  scheduler: Scheduler;
  /** Daily budgets per agent and per user, checked before every model call. */
  budgets: BudgetGuard;
  /** People in the loop: approval requests, decisions, expiry (SPEC §11). */
  approvals: ApprovalService;
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
    // Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; flushed last, after everything that traces.
    closers.push(await startTracing(config.otel, logger));
    await db.ping();
    if (options.migrate ?? true) await migrate(db, logger);
    const repos = createRepositories(db);
    const nodeId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    // Nodes sharing a server database must share keys; the embedded database has one node.
    if (db.driver !== 'pglite') await verifyKeyFingerprints(db, config, secrets, nodeId);
    const transport = config.redisUrl
      ? new RedisEventTransport(config.redisUrl, config.redisPrefix, logger)
      : undefined;
    const events = new EventBus(nodeId, logger, transport);
    closers.push(() => events.stop());
    // Both wait (at most 2 s each) for Redis: side by side, so a Redis outage costs start-up once.
    const [cache] = await Promise.all([createCacheService(config, logger, nodeId), events.start()]);
    closers.push(() => cache.close());
    const eventLog = new EventLog(db, nodeId, logger, { retentionSeconds: config.eventRetentionSeconds });
    events.setJournal((e) =>
      eventLog.append({
        type: e.type,
        taskId: e.taskId ?? null,
        ownerId: e.ownerId ?? null,
        payload: e.payload,
        at: e.at,
      }),
    );
    await eventLog.start();
    closers.push(() => eventLog.stop());
    const audit = new AuditService(
      db,
      logger,
      resolveAuditKeys(config.auditKey, secrets.encryptionKey, config.encryptionKeys),
    );
    await audit.start();
    closers.push(() => audit.stop());
    const crypto = new CryptoService(secrets.encryptionKey, config.encryptionKeys);
    const vault = createVault(config, repos.secrets, crypto);
    const compliance = new ComplianceChecker({ config, secrets, db, audit, crypto, vault });
    const security = await SecurityHub.create(
      { config, secrets, db, repos, audit, events, logger },
      options.security,
    );
    closers.push(() => security.close());
    compliance.registerControl('password-policy', () => ({
      enabled: true,
      detail: `argon2id; ${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters, not the username, not a common password`,
    }));
    compliance.registerControl('rate-limiting', () => ({
      enabled: config.rateLimit.perMinute > 0,
      detail: `${security.rateLimiter.backend}: ${config.rateLimit.perMinute}/min per user and per IP, login ${config.rateLimit.loginPerMinute}/min`,
    }));
    const providers = createProviderRegistry(config);
    const agents = new AgentManager({
      events,
      repo: repos.agents,
      logger,
      providers: () => providers.names(),
      actions: () => plugins.actionNames(),
      cache,
    });
    const plugins = new PluginSystem({ logger, events });
    for (const plugin of builtinPlugins({ http: options.http })) plugins.register(plugin, 'builtin');
    await plugins.loadAll(config.pluginsDir, config.plugins);
    closers.push(async () => plugins.stop());
    const budgets = new BudgetGuard({ db, users: repos.users });
    // Late-bound: approval steps belong to the workflow engine, built after the queue.
    let stepApprovals: WorkflowEngine | undefined;
    const approvals = new ApprovalService({
      db,
      events,
      audit,
      logger,
      validateArgs: (action, args) => plugins.validate(action, args),
      steps: () => stepApprovals,
    });
    closers.push(() => approvals.stop());
    const queue: TaskQueue = new TaskQueue(
      {
        db,
        repos,
        events,
        agents,
        providers,
        logger,
        // The agent's allowed actions, offered to its model as tools (checked, validated, audited).
        // Also for an agent with none: its model's tool calls are then refused and audited, never
        // dropped (SPEC §10).
        tools: (agent, task) =>
          createToolInvoker({
            agent,
            task,
            pluginSystem: plugins,
            audit,
            logger,
            events,
            runner: queue,
            approvals,
          }),
        // The provider key lives in the vault under the agent's `model_key` (seed default `bsm`).
        apiKey: (agent) => vault.get(agent.modelKey),
        // Deltas and tool calls go to the event log; a thread's turn reads and extends its history.
        stream: (task, attempt) => attemptStream(eventLog, task, attempt),
        prepareInput: (task) => threads.prepareInput(task),
        completeThreadTask: (task, completion) => threads.completeTask(task, completion),
        checkBudget: (agent, task) => budgets.check(agent, task),
        screenInput: async (agent, text, context) => {
          const { patterns } = detectPromptInjection(text);
          if (patterns.length) {
            await security.threats.promptInjection({
              taskId: context.taskId,
              agentId: agent.agentId,
              userId: context.createdBy,
              patterns,
              blocked: context.blocked,
            });
          }
          return patterns;
        },
      },
      {
        nodeId,
        maxConcurrent: config.maxConcurrentTasks,
        pollIntervalMs: config.pollIntervalMs,
        ...options.queue,
      },
    );
    const threads: Threads = new Threads({
      db,
      repo: repos.threads,
      queue,
      agents,
      events,
      logger,
      nodeId,
      ttlDays: config.threadTtlDays,
    });
    threads.start();
    closers.push(async () => threads.stop());
    const workflows = new Workflows({ repo: repos.workflows, agents, events, logger });
    const workflowEngine = new WorkflowEngine({
      db,
      workflows: repos.workflows,
      runner: options.workflowRunner ?? new QueueWorkflowRunner(queue),
      events,
      logger,
      approvals,
    });
    stepApprovals = workflowEngine;
    const unfollowSteps = followStepTasks(events, repos.tasks, workflowEngine, logger);
    closers.push(async () => unfollowSteps());
    const schedules = new Schedules({
      repo: repos.schedules,
      agents,
      workflows: repos.workflows,
      events,
      logger,
    });
    const scheduler = new Scheduler(
      { db, queue, workflows: workflowEngine, events, logger },
      options.scheduler,
    );
    const runWorker = options.worker ?? config.worker;
    const engine = new Engine(
      [
        { name: 'database', start: () => db.ping(), status: () => ({ driver: db.driver }) },
        {
          name: 'cache',
          status: () => ({ backend: config.redisUrl ? 'redis' : 'memory' }),
          metrics: () => cache.metrics(),
        },
        { name: 'eventBus', metrics: () => events.metrics() },
        { name: 'agentManager', start: () => agents.forgetCachedAgents(), metrics: () => agents.metrics() },
        {
          name: 'taskQueue',
          start: async () => {
            if (runWorker) await queue.start();
          },
          stop: () => queue.stop(),
          status: () => ({ worker: queue.workerRunning, maxConcurrent: config.maxConcurrentTasks }),
          metrics: () => queue.stats(),
        },
        { name: 'pluginSystem', status: () => ({ plugins: plugins.listPlugins() }) },
        {
          name: 'workflowEngine',
          // Runs left running by a stopped node continue here (their state is all in the database).
          start: async () => {
            if (runWorker) await workflowEngine.resume();
          },
        },
        {
          // Every engine node fires schedules: the database makes each fire time happen once.
          name: 'scheduler',
          start: async () => scheduler.start(),
          stop: () => scheduler.stop(),
          status: () => ({ running: scheduler.running }),
        },
        // SPEC §11: after the engine proper; stopped first.
        {
          name: 'approvals',
          // Every node expires approvals past their deadline (the database clock decides).
          start: async () => approvals.start(),
          stop: () => approvals.stop(),
          metrics: async () => ({ pending: await approvals.countPending() }),
        },
      ],
      events,
      logger,
      nodeId,
    );
    // The queue may have been started on its own (tests, `bsm task submit` on PGlite): stop it too.
    closers.push(async () => {
      await engine.stop();
      await scheduler.stop();
      await queue.stop();
    });
    // One registry; each component registers its own typed series (src/metrics.ts).
    const metrics = new MetricsRegistry();
    registerCoreMetrics(metrics, events, agents);
    registerQueueMetrics(metrics, queue, db);
    registerCacheMetrics(metrics, cache);
    registerSecurityMetrics(metrics, audit);
    registerAuditHeadMetrics(metrics.registry, () => audit.head());
    registerEventLogMetrics(metrics, eventLog);
    metrics.gauge({
      name: 'bsm_approvals_pending',
      help: 'Approval requests waiting for a decision (cluster-wide)',
      async collect() {
        this.set(await approvals.countPending());
      },
    });
    const readiness: ReadinessCheck[] = [{ name: 'database', critical: true, check: () => db.ping() }];
    // Redis down degrades (slower reads) but does not stop the API: not critical.
    if (config.redisUrl) readiness.push({ name: 'redis', critical: false, check: () => cache.ping() });
    return {
      config,
      logger,
      db,
      nodeId,
      secrets,
      repos,
      events,
      eventLog,
      audit,
      crypto,
      vault,
      compliance,
      cache,
      security,
      agents,
      metrics,
      plugins,
      workflows,
      workflowEngine,
      providers,
      queue,
      threads,
      schedules,
      scheduler,
      budgets,
      approvals,
      engine,
      readiness,
      async close() {
        for (const close of closers.reverse()) {
          await close().catch((err: unknown) => logger.warn({ err }, 'error while closing'));
        }
      },
    };
  } catch (error) {
    // Everything started so far (a reconnecting Redis client would keep the process alive).
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}
