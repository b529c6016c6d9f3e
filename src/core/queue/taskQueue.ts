/**
 * The durable task queue (SPEC §5): what clients do (submit, cancel, look up, wait) and the worker
 * that runs tasks on this node. Any number of nodes share one queue in PostgreSQL; a node with
 * `--no-worker` only submits and reads.
 */
import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../../db/index.js';
import type { Agent, Execution, Page, Task, TaskStatus } from '../../domain.js';
import { TERMINAL_TASK_STATUSES } from '../../domain.js';
import { AppError, conflict, validation } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Repositories } from '../../repositories/index.js';
import { type TaskRow, toTask } from '../../repositories/tasks.js';
import { traceTaskSubmit } from '../../telemetry/spans.js';
import type { AgentManager } from '../agentManager.js';
import type { EventBus } from '../eventBus.js';
import {
  assertCallerSystemMessagesAllowed,
  InvalidTaskInputError,
  taskMessages,
} from '../providers/input.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ChildTaskRequest, TaskRunner, ToolInvoker } from '../providers/types.js';
import { type BackoffPolicy, ExponentialBackoff } from './backoff.js';
import { answerDeferredCalls } from './checkpoint.js';
import { QueueMetrics } from './metrics.js';
import { NaturalBatcher } from './naturalBatcher.js';
import { cancelTask } from './sql/cancelTask.js';
import { type InsertTaskParams, insertTask, insertTasks } from './sql/insertTask.js';
import { type RetriedRow, retryTasks } from './sql/retryTasks.js';
import { WakeNotifier } from './wakeNotifier.js';
import { TaskWorker, type WorkerDeps } from './worker.js';

/**
 * Submit statements in flight at once per node, and the most tasks one carries. Under load the
 * submits that arrive while these run are inserted together: bench:api went from 1,531–1,709 to
 * ~3,500 submits/s (1, 2 and 4 in flight within 3 % of each other; 2 so one slow statement does
 * not hold every submit — docs/BENCHMARKS.md).
 */
const SUBMITS_IN_FLIGHT = 2;
const SUBMIT_BATCH = 100;

export interface SubmitRequest {
  /** The agent's human handle. */
  agentId: string;
  type?: string;
  input: unknown;
  priority?: number;
  maxRetries?: number;
  timeoutSeconds?: number;
  metadata?: Record<string, unknown>;
  /** Client-chosen id; resubmitting it returns the existing task. */
  taskId?: string;
  createdBy?: string | null;
  parentTaskId?: string | null;
  /**
   * Writes the row instead of the plain insert (threads: under the thread's lock, parked behind
   * its active run). Returns undefined when the taskId already exists.
   */
  insert?(params: InsertTaskParams): Promise<TaskRow | undefined>;
  /**
   * The task's audit row, written by the insert statement itself — one commit for both, and no
   * task without its row. Only with the default insert.
   */
  audit?: TaskAudit;
}

/** How a submit writes its audit row (the route builds it from `AuditService`). */
export interface TaskAudit {
  /** The row's parameters (`AuditService.rowValues`) for the task about to be inserted. */
  values(params: InsertTaskParams): unknown[];
  /** Called after the commit, when the task (and so the row) was created. */
  written(): void;
}

export interface TaskQueueOptions {
  nodeId: string;
  maxConcurrent: number;
  pollIntervalMs: number;
  leaseMs?: number;
  drainMs?: number;
  backoff?: BackoffPolicy;
  /** How long a task claimed ahead of a free slot waits for one before it is given back. */
  holdMs?: number;
}

export interface TaskQueueDeps {
  db: Db;
  repos: Repositories;
  events: EventBus;
  agents: AgentManager;
  providers: ProviderRegistry;
  logger: Logger;
  tools?(agent: Agent, task: Task): ToolInvoker | undefined;
  apiKey?(agent: Agent): Promise<string | undefined>;
  stream?: WorkerDeps['stream'];
  prepareInput?: WorkerDeps['prepareInput'];
  completeThreadTask?: WorkerDeps['completeThreadTask'];
  /** The budget check before each model call (SPEC §14). */
  checkBudget?(agent: Agent, task: Task): Promise<void>;
  /**
   * Screens task input for prompt injection (the security hub): returns the patterns found, after
   * recording the finding. The queue flags the task, or refuses it when the agent asks.
   */
  screenInput?(
    agent: Agent,
    text: string,
    context: { taskId: string; createdBy: string | null; blocked: boolean },
  ): Promise<string[]>;
}

/** A task validated and screened, ready to insert (see `TaskQueue.prepare`). */
export interface PreparedTask {
  agent: Agent;
  params: InsertTaskParams;
}

const AGENT_CACHE_MS = 5_000;
/** A long-poll's database re-check when no event woke it (SPEC §10). */
export const LONG_POLL_RECHECK_MS = 2_000;
const isTerminal = (status: TaskStatus) => TERMINAL_TASK_STATUSES.includes(status);
const RETRYABLE = ['failed', 'cancelled'] as const;

export class TaskQueue implements TaskRunner {
  readonly metrics = new QueueMetrics();
  private readonly worker: TaskWorker;
  private readonly agentCache = new Map<string, { agent: Agent; at: number }>();
  private readonly wakeNotifier: WakeNotifier;
  /** Concurrent submits, inserted together: one statement and one commit per batch. */
  private readonly submits: NaturalBatcher<InsertTaskParams, TaskRow | undefined | Error>;

  constructor(
    private readonly deps: TaskQueueDeps,
    readonly options: TaskQueueOptions,
  ) {
    this.wakeNotifier = new WakeNotifier(deps.db, deps.logger);
    this.submits = new NaturalBatcher({
      maxInFlight: SUBMITS_IN_FLIGHT,
      maxBatch: SUBMIT_BATCH,
      write: (batch) => this.insertBatch(batch),
    });
    this.worker = new TaskWorker(
      {
        nodeId: options.nodeId,
        maxConcurrent: options.maxConcurrent,
        pollIntervalMs: options.pollIntervalMs,
        leaseMs: options.leaseMs ?? 30_000,
        drainMs: options.drainMs ?? 30_000,
        backoff: options.backoff ?? new ExponentialBackoff(),
        holdMs: options.holdMs,
      },
      {
        db: deps.db,
        logger: deps.logger,
        events: deps.events,
        metrics: this.metrics,
        providers: deps.providers,
        agentById: (id) => this.agentById(id),
        tools: deps.tools,
        apiKey: deps.apiKey,
        stream: (task, attempt) => deps.stream?.(task, attempt),
        prepareInput: (task) => (deps.prepareInput ? deps.prepareInput(task) : Promise.resolve(task.input)),
        completeThreadTask: deps.completeThreadTask
          ? (task, completion) => deps.completeThreadTask!(task, completion)
          : undefined,
        checkBudget: deps.checkBudget,
        resume: (conversation, tools, signal) =>
          answerDeferredCalls(
            conversation,
            {
              task: (taskId) => deps.repos.tasks.findByTaskId(taskId),
              approval: (approvalId) => deps.repos.approvals.find(approvalId),
            },
            tools,
            signal,
          ),
        afterCancelledPark: (task) => this.cancelWaits(task),
      },
    );
  }

  /** Starts running tasks on this node. */
  start(): Promise<void> {
    return this.worker.start();
  }

  /** Stops claiming, waits up to the drain period, gives the rest back. */
  stop(drainMs?: number): Promise<void> {
    return this.worker.stop(drainMs);
  }

  /** Tasks running on this node now. */
  get runningCount(): number {
    return this.worker.runningCount;
  }

  get workerRunning(): boolean {
    return this.worker.isRunning;
  }

  async submit(request: SubmitRequest): Promise<{ task: Task; created: boolean }> {
    if (request.insert && request.audit) throw new Error('submit: audit goes with the default insert only');
    const prepared = await this.prepare(request);
    const insert = request.insert ?? ((params: InsertTaskParams) => this.insertBatched(params));
    const audit = request.audit?.values(prepared.params);
    const row = await traceTaskSubmit(
      { taskId: prepared.params.taskId, agentId: prepared.agent.agentId },
      (traceparent) => insert({ ...prepared.params, traceparent, audit }),
    );
    if (!row) {
      const existing = await this.deps.repos.tasks.findByTaskId(request.taskId as string);
      // Someone else's task with that id: say it exists, show nothing of it.
      if (existing.createdBy !== prepared.params.createdBy)
        throw conflict(`Task ${request.taskId} already exists`, 'TASK_EXISTS');
      return { task: existing, created: false };
    }
    request.audit?.written();
    const task = toTask(row);
    this.announce(task, prepared.agent);
    return { task, created: true };
  }

  /**
   * Everything `submit` does before the insert: the agent must be active, the input valid, and
   * it is screened for prompt injection. The scheduler prepares once, then inserts each fire's
   * task inside its own transaction (`insertPrepared`), where no other query may run.
   */
  async prepare(request: SubmitRequest): Promise<PreparedTask> {
    const agent = await this.deps.agents.get(request.agentId);
    this.deps.agents.assertActive(agent);
    let messages: ReturnType<typeof taskMessages>;
    try {
      messages = taskMessages(request.input);
      assertCallerSystemMessagesAllowed(messages, agent.config);
    } catch (error) {
      if (error instanceof InvalidTaskInputError)
        throw validation(`input: ${error.message}`, { field: 'input' });
      throw error;
    }
    const createdBy = request.createdBy ?? null;
    const taskId = request.taskId ?? `task_${randomUUID()}`;
    const metadata = { ...(request.metadata ?? {}) };
    const blocking = agent.config.blockPromptInjection === true;
    const patterns = await this.deps.screenInput?.(agent, messages.map((m) => m.content).join('\n'), {
      taskId,
      createdBy,
      blocked: blocking,
    });
    if (patterns?.length) {
      if (blocking) {
        throw new AppError(
          'Task input looks like a prompt-injection attempt',
          400,
          'PROMPT_INJECTION_BLOCKED',
          {
            patterns,
          },
        );
      }
      metadata.promptInjection = { patterns };
    }
    return {
      agent,
      params: {
        taskId,
        agentUuid: agent.id,
        agentHandle: agent.agentId,
        type: request.type ?? 'execute',
        priority: request.priority ?? 5,
        input: request.input,
        metadata,
        maxRetries: request.maxRetries ?? 3,
        timeoutSeconds: request.timeoutSeconds ?? 300,
        createdBy,
        parentTaskId: request.parentTaskId ?? null,
      },
    };
  }

  private async insertBatched(params: InsertTaskParams): Promise<TaskRow | undefined> {
    const result = await this.submits.push(params);
    if (result instanceof Error) throw result;
    return result;
  }

  /**
   * Writes a batch of submits in one statement. A statement that fails (one bad row fails them
   * all) falls back to one statement per task, so each submit gets its own answer and only a bad
   * one fails; a taskId sent again within the batch goes after it, on its own (and finds it).
   */
  private async insertBatch(batch: InsertTaskParams[]): Promise<Array<TaskRow | undefined | Error>> {
    const seen = new Set<string>();
    const first: number[] = [];
    const again: number[] = [];
    for (const [i, p] of batch.entries()) {
      (seen.has(p.taskId) ? again : first).push(i);
      seen.add(p.taskId);
    }
    const results: Array<TaskRow | undefined | Error> = [];
    const one = async (i: number) => {
      results[i] = await insertTask(this.deps.db, batch[i]).catch((error: unknown) => error as Error);
    };
    let together: Array<TaskRow | undefined> | undefined;
    if (first.length > 1) {
      together = await insertTasks(
        this.deps.db,
        first.map((i) => batch[i]),
      ).catch(() => undefined); // each on its own below: the error that matters is the bad task's
    }
    if (together) for (const [k, i] of first.entries()) results[i] = together[k];
    else for (const i of first) await one(i);
    for (const i of again) await one(i);
    return results;
  }

  /**
   * Inserts a prepared task through `via` (an open transaction) under a new task id, with
   * `metadata` added. Claimable once `via` commits; call `announce` then.
   */
  async insertPrepared(
    prepared: PreparedTask,
    via: Queryable,
    metadata: Record<string, unknown>,
  ): Promise<Task> {
    const row = await insertTask(via, {
      ...prepared.params,
      taskId: `task_${randomUUID()}`,
      metadata: { ...prepared.params.metadata, ...metadata },
    });
    if (!row) throw new Error('a fresh task id already existed');
    return toTask(row);
  }

  /** Emits `task:created` for a committed task. */
  announce(task: Task, agent: Agent): void {
    this.wakeNotifier.notify();
    this.deps.events.emit(
      'task:created',
      { taskId: task.taskId, agentId: agent.agentId, priority: task.priority, type: task.type },
      { taskId: task.taskId, ownerId: task.createdBy },
    );
  }

  /** Cancels a pending task at once, or asks the node running it to abort. 409 when already final. */
  async cancel(taskId: string): Promise<Task> {
    const task = await this.deps.repos.tasks.findByTaskId(taskId);
    const row = await cancelTask(this.deps.db, task.id);
    if (!row) {
      const now = await this.deps.repos.tasks.findById(task.id);
      throw new AppError(`Task ${taskId} is already ${now.status}`, 409, 'TASK_FINISHED', {
        status: now.status,
      });
    }
    const updated = toTask(row);
    if (updated.status === 'cancelled') {
      this.metrics.cancelled += 1;
      this.deps.events.emit(
        'task:cancelled',
        { taskId, status: 'cancelled', attempt: updated.retryCount },
        { taskId, ownerId: updated.createdBy },
      );
      if (task.status === 'waiting') await this.cancelWaits(updated);
    }
    return updated;
  }

  /**
   * Puts one failed or cancelled task back to `pending` with a fresh attempt budget (SPEC §13);
   * 409 TASK_NOT_RETRYABLE in any other state.
   */
  async retry(taskId: string): Promise<Task> {
    const task = await this.deps.repos.tasks.findByTaskId(taskId);
    const [row] = await retryTasks(this.deps.db, { id: task.id, statuses: RETRYABLE });
    if (!row) {
      const now = await this.deps.repos.tasks.findById(task.id);
      throw new AppError(
        `Task ${taskId} is ${now.status}: only failed or cancelled tasks can be retried`,
        409,
        'TASK_NOT_RETRYABLE',
        {
          status: now.status,
        },
      );
    }
    this.announceRetried([row]);
    return this.get(taskId);
  }

  /** Retries every task in `status` matching the filters; answers how many went back to the queue. */
  async retryMatching(filters: {
    status: 'failed' | 'cancelled';
    agentId?: string;
    createdBy?: string;
    from?: string;
    to?: string;
  }): Promise<number> {
    let agentUuid: string | undefined;
    if (filters.agentId) {
      const agent = await this.deps.agents.get(filters.agentId).catch(() => undefined);
      if (!agent) return 0;
      agentUuid = agent.id;
    }
    const rows = await retryTasks(this.deps.db, { ...filters, statuses: [filters.status], agentUuid });
    this.announceRetried(rows);
    return rows.length;
  }

  private announceRetried(rows: RetriedRow[]): void {
    for (const row of rows) {
      this.deps.events.emit(
        'task:retry',
        { taskId: row.task_id, status: 'pending', attempt: 0, manual: true },
        { taskId: row.task_id, ownerId: row.created_by },
      );
    }
  }

  /**
   * A cancelled task's open waits end with it (SPEC §11): its pending approvals become
   * `cancelled`, and its unfinished children are cancelled (theirs in turn).
   */
  private async cancelWaits(task: Task): Promise<void> {
    const scope = { taskId: task.taskId, ownerId: task.createdBy };
    for (const approvalId of await this.deps.repos.approvals.cancelPending({ taskUuid: task.id })) {
      this.deps.events.emit(
        'approval:resolved',
        { approvalId, taskId: task.taskId, status: 'cancelled' },
        scope,
      );
    }
    const children = await this.deps.db.query<{ task_id: string }>(
      `SELECT task_id FROM tasks WHERE parent_task_id = $1 AND status IN ('pending', 'running', 'waiting')`,
      [task.id],
    );
    for (const { task_id } of children.rows) {
      await this.cancel(task_id).catch((error: unknown) => {
        if (!(error instanceof AppError)) throw error; // already finished meanwhile: nothing to do
      });
    }
  }

  get(taskId: string): Promise<Task> {
    return this.deps.repos.tasks.findByTaskId(taskId);
  }

  async list(filters: {
    status?: TaskStatus;
    agentId?: string;
    createdBy?: string;
    parentTaskId?: string;
    from?: string;
    to?: string;
    limit?: number;
    offset?: number;
  }): Promise<Page<Task>> {
    let agentUuid: string | undefined;
    if (filters.agentId) {
      const agent = await this.deps.agents.get(filters.agentId).catch(() => undefined);
      if (!agent) return { items: [], total: 0, limit: filters.limit ?? 50, offset: filters.offset ?? 0 };
      agentUuid = agent.id;
    }
    return this.deps.repos.tasks.list({ ...filters, agentId: agentUuid });
  }

  async executions(taskId: string): Promise<Execution[]> {
    const task = await this.get(taskId);
    return this.deps.repos.executions.findByTask(task.id);
  }

  /**
   * Resolves with the task once it is final, or as it is after `waitMs`. Woken by this node's
   * events (and other nodes' when the bus has a transport); without one it re-reads the row every
   * 2 s (SPEC §10: wake on events, re-check the database no more often than that).
   */
  async waitForTask(taskId: string, waitMs: number, onProgress?: (task: Task) => void): Promise<Task> {
    const deadline = Date.now() + waitMs;
    let task = await this.get(taskId);
    let lastStatus = task.status;
    onProgress?.(task);
    while (!isTerminal(task.status) && Date.now() < deadline) {
      const slice = Math.min(deadline - Date.now(), LONG_POLL_RECHECK_MS);
      await this.deps.events.waitFor((e) => e.taskId === taskId, slice).catch(() => undefined);
      task = await this.get(taskId);
      if (task.status !== lastStatus || task.retryCount) {
        lastStatus = task.status;
        onProgress?.(task);
      }
    }
    return task;
  }

  /** A delegated child (SPEC §11): the parent waits for it in `waiting`, holding no slot. */
  async submitChild(request: ChildTaskRequest & { taskId: string }): Promise<Task> {
    return (await this.submit(request)).task;
  }

  async countChildren(parentId: string): Promise<number> {
    const { rows } = await this.deps.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM tasks WHERE parent_task_id = $1',
      [parentId],
    );
    return rows[0]?.n ?? 0;
  }

  async submitAndWait(request: ChildTaskRequest, waitMs: number): Promise<Task> {
    const { task } = await this.submit(request);
    return this.waitForTask(task.taskId, waitMs);
  }

  async stats() {
    return {
      worker: this.worker.isRunning,
      counts: await this.deps.repos.tasks.countByStatus(),
      node: this.metrics.snapshot(this.worker.runningCount, this.options.maxConcurrent),
    };
  }

  private async agentById(id: string): Promise<Agent> {
    const hit = this.agentCache.get(id);
    if (hit && Date.now() - hit.at < AGENT_CACHE_MS) return hit.agent;
    const agent = await this.deps.repos.agents.findById(id);
    this.agentCache.set(id, { agent, at: Date.now() });
    return agent;
  }
}
