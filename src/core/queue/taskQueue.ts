/**
 * The durable task queue (SPEC §5): what clients do (submit, cancel, look up, wait) and the worker
 * that runs tasks on this node. Any number of nodes share one queue in PostgreSQL; a node with
 * `--no-worker` only submits and reads.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/index.js';
import type { Agent, Execution, Page, Task, TaskStatus } from '../../domain.js';
import { TERMINAL_TASK_STATUSES } from '../../domain.js';
import { AppError, conflict, validation } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Repositories } from '../../repositories/index.js';
import { toTask } from '../../repositories/tasks.js';
import type { AgentManager } from '../agentManager.js';
import type { EventBus } from '../eventBus.js';
import { InvalidTaskInputError, taskMessages } from '../providers/input.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ChildTaskRequest, TaskRunner, ToolInvoker } from '../providers/types.js';
import { type BackoffPolicy, ExponentialBackoff } from './backoff.js';
import { answerDeferredCalls } from './checkpoint.js';
import { QueueMetrics } from './metrics.js';
import { cancelTask } from './sql/cancelTask.js';
import { insertTask } from './sql/insertTask.js';
import { TaskWorker } from './worker.js';

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
}

export interface TaskQueueOptions {
  nodeId: string;
  maxConcurrent: number;
  pollIntervalMs: number;
  leaseMs?: number;
  drainMs?: number;
  backoff?: BackoffPolicy;
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

const AGENT_CACHE_MS = 5_000;
const isTerminal = (status: TaskStatus) => TERMINAL_TASK_STATUSES.includes(status);

export class TaskQueue implements TaskRunner {
  readonly metrics = new QueueMetrics();
  private readonly worker: TaskWorker;
  private readonly agentCache = new Map<string, { agent: Agent; at: number }>();

  constructor(
    private readonly deps: TaskQueueDeps,
    readonly options: TaskQueueOptions,
  ) {
    this.worker = new TaskWorker(
      {
        nodeId: options.nodeId,
        maxConcurrent: options.maxConcurrent,
        pollIntervalMs: options.pollIntervalMs,
        leaseMs: options.leaseMs ?? 30_000,
        drainMs: options.drainMs ?? 30_000,
        backoff: options.backoff ?? new ExponentialBackoff(),
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

  get workerRunning(): boolean {
    return this.worker.isRunning;
  }

  async submit(request: SubmitRequest): Promise<{ task: Task; created: boolean }> {
    const agent = await this.deps.agents.get(request.agentId);
    this.deps.agents.assertActive(agent);
    let messages: ReturnType<typeof taskMessages>;
    try {
      messages = taskMessages(request.input);
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
    const row = await insertTask(this.deps.db, {
      taskId,
      agentUuid: agent.id,
      type: request.type ?? 'execute',
      priority: request.priority ?? 5,
      input: request.input,
      metadata,
      maxRetries: request.maxRetries ?? 3,
      timeoutSeconds: request.timeoutSeconds ?? 300,
      createdBy,
      parentTaskId: request.parentTaskId ?? null,
    });
    if (!row) {
      const existing = await this.deps.repos.tasks.findByTaskId(request.taskId as string);
      // Someone else's task with that id: say it exists, show nothing of it.
      if (existing.createdBy !== createdBy)
        throw conflict(`Task ${request.taskId} already exists`, 'TASK_EXISTS');
      return { task: existing, created: false };
    }
    const task = toTask(row);
    this.deps.events.emit(
      'task:created',
      { taskId: task.taskId, agentId: agent.agentId, priority: task.priority, type: task.type },
      { taskId: task.taskId, ownerId: task.createdBy },
    );
    return { task, created: true };
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
   * events (and other nodes' when the bus has a transport); re-reads the row at least every
   * 250 ms, so it never depends on an event arriving.
   */
  async waitForTask(taskId: string, waitMs: number, onProgress?: (task: Task) => void): Promise<Task> {
    const deadline = Date.now() + waitMs;
    let task = await this.get(taskId);
    let lastStatus = task.status;
    onProgress?.(task);
    while (!isTerminal(task.status) && Date.now() < deadline) {
      const slice = Math.min(deadline - Date.now(), 250);
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
