/**
 * The worker side of the queue: claims due tasks as leases, runs them through their agent's
 * provider with a real timeout, records each attempt, and gives work back on stop.
 *
 * Wake-ups: a NOTIFY on submit wakes idle workers at once; polling every BSM_POLL_INTERVAL_MS is
 * only the fallback (missed notification, retry back-off ending). Claims coalesce: while one is in
 * flight, further wake-ups just ask for one more round.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/index.js';
import type { Agent, Task } from '../../domain.js';
import type { Logger } from '../../logger.js';
import { type TaskRow, toTask } from '../../repositories/tasks.js';
import { traceTaskRun, traceTools } from '../../telemetry/spans.js';
import type { EventBus } from '../eventBus.js';
import { isRetryable } from '../providers/errors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import {
  type Conversation,
  type ProviderResult,
  type StreamSink,
  type TaskInput,
  TaskWaiting,
  type ToolInvoker,
} from '../providers/types.js';
import { type AbortReason, abortable, failureMessage, isAbort, TaskAbort } from './abort.js';
import { AgentSlots } from './agentSlots.js';
import type { BackoffPolicy } from './backoff.js';
import { CANCEL_CHANNEL, NEW_TASK_CHANNEL } from './channels.js';
import { type Checkpoint, readCheckpoint } from './checkpoint.js';
import { CompletionBatcher } from './completionBatcher.js';
import { HeldTasks } from './heldTasks.js';
import { LeaseKeeper } from './lease.js';
import type { QueueMetrics } from './metrics.js';
import { reportFinished, reportReaped } from './outcomes.js';
import { type ClaimRequest, claimTasks } from './sql/claimTasks.js';
import { type CompletedRow, type Completion, completedTask } from './sql/completeTasks.js';
import { failTask } from './sql/failTask.js';
import { parkTask } from './sql/parkTask.js';
import { reapExpiredLeases } from './sql/reapExpiredLeases.js';
import { releaseTasks } from './sql/releaseTasks.js';
import { saveCheckpoint } from './sql/saveCheckpoint.js';

export interface WorkerOptions {
  nodeId: string;
  maxConcurrent: number;
  pollIntervalMs: number;
  /** Lease length; renewed every third of it. */
  leaseMs: number;
  /** How long stop() waits for running tasks before giving them back. */
  drainMs: number;
  backoff: BackoffPolicy;
  /** The longest a task claimed ahead of a free slot is held for one (default 200 ms). */
  holdMs?: number;
}

export interface WorkerDeps {
  db: Db;
  logger: Logger;
  events: EventBus;
  metrics: QueueMetrics;
  providers: ProviderRegistry;
  /** Agent by its UUID (cached by the caller). */
  agentById(id: string): Promise<Agent>;
  tools?(agent: Agent, task: Task): ToolInvoker | undefined;
  apiKey?(agent: Agent): Promise<string | undefined>;
  /** Where an attempt's deltas and tool calls go (the event log), when it streams. */
  stream?(task: Task, attempt: number): StreamSink | undefined;
  /** The input a provider sees: a thread's task gets its thread's history (read at run time). */
  prepareInput?(task: Task): Promise<unknown>;
  /** Completes a thread's task and appends its turn in one transaction (instead of the batcher). */
  completeThreadTask?(task: Task, completion: Completion): Promise<CompletedRow | undefined>;
  /** Throws a non-retryable BUDGET_EXCEEDED error when the agent's or owner's budget is spent. */
  checkBudget?(agent: Agent, task: Task): Promise<void>;
  /** Answers a resumed task's deferred calls (children, decisions); throws TaskWaiting if some are open. */
  resume?(
    conversation: Conversation,
    tools: ToolInvoker | undefined,
    signal: AbortSignal,
  ): Promise<Conversation>;
  /** After a park ended in `cancelled` (a cancel came in while it ran): cancel what it waits for. */
  afterCancelledPark?(task: Task): Promise<void>;
}

interface Running {
  task: Task;
  agent: Agent;
  controller: AbortController;
  startedAt: number;
  done: Promise<void>;
  /** What a task that waited before did so far (SPEC §11). */
  checkpoint?: Checkpoint;
}

const MAX_BATCH = 50;
const REAP_BATCH = 100;
/** The longest a claimed-ahead task waits in this worker for a slot before it is given back. */
const HOLD_MS = 200;
/**
 * At most this many tasks per slot are claimed ahead. Claims grow with it: in bench:queue (one
 * `bsm worker`, 10 slots, no-op tasks) 1 per slot drained 2,010–2,180 tasks/s in claims of ~18,
 * 2 → 2,759–2,829 (~28), 4 → 2,761–3,370 (~46) — docs/BENCHMARKS.md.
 */
const AHEAD_PER_SLOT = 4;

export class TaskWorker {
  private readonly running = new Map<string, Running>();
  /**
   * Tasks whose execution ended and whose outcome is being written: their slot is free already (the
   * next task runs while the completion commits), their lease is still held until it is written.
   */
  private readonly finishing = new Map<string, Running>();
  /** Tasks claimed ahead of a free slot (claim-ahead), started as slots free. */
  private readonly held: HeldTasks;
  private holdTimer: NodeJS.Timeout | undefined;
  /** Slots promised to claims in flight, so two claims never fill the same slot. */
  private reserved = 0;
  private readonly agentSlots = new AgentSlots();
  private claiming: Promise<void> | undefined;
  private claimAgain = false;
  private active = false;
  private timers: NodeJS.Timeout[] = [];
  private unlisten: Array<() => Promise<void>> = [];
  private readonly lease: LeaseKeeper;
  private readonly completions: CompletionBatcher;

  constructor(
    private readonly options: WorkerOptions,
    private readonly deps: WorkerDeps,
  ) {
    this.completions = new CompletionBatcher(deps.db, options.nodeId);
    this.held = new HeldTasks(
      options.maxConcurrent,
      options.maxConcurrent * AHEAD_PER_SLOT,
      options.holdMs ?? HOLD_MS,
    );
    this.lease = new LeaseKeeper(
      deps.db,
      options.nodeId,
      options.leaseMs,
      {
        held: () => [...this.running.keys(), ...this.finishing.keys(), ...this.held.ids()],
        onCancelRequested: (id) => this.abort(id, 'cancel'),
        onLost: (id) => this.abort(id, 'lease-lost'),
      },
      deps.logger,
    );
  }

  get isRunning(): boolean {
    return this.active;
  }

  get runningCount(): number {
    return this.running.size;
  }

  async start(): Promise<void> {
    if (this.active) return;
    this.active = true;
    const { db } = this.deps;
    this.unlisten.push(await db.listen(NEW_TASK_CHANNEL, () => this.wake()));
    this.unlisten.push(await db.listen(CANCEL_CHANNEL, (id) => this.abort(id, 'cancel')));
    const poll = setInterval(() => this.wake(), this.options.pollIntervalMs);
    const reap = setInterval(() => void this.reap(), Math.min(Math.max(this.options.leaseMs / 2, 50), 5_000));
    for (const t of [poll, reap]) t.unref();
    this.timers.push(poll, reap);
    this.lease.start();
    await this.reap();
    this.wake();
  }

  /** Stops claiming, waits up to `drainMs` for running tasks, then gives the rest back to pending. */
  async stop(drainMs = this.options.drainMs): Promise<void> {
    if (!this.active) return;
    this.active = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const un of this.unlisten.splice(0)) await un().catch(() => undefined);
    await this.claiming;
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    // A task claimed for a free slot started as it came (even as the stop began: it is `running`
    // for everyone who looks), and the drain waits for it; what was claimed ahead goes back.
    await this.giveBack(this.held.takeAll());
    const deadline = Date.now() + drainMs;
    const all = () => Promise.all([...this.running.values(), ...this.finishing.values()].map((r) => r.done));
    while (this.running.size + this.finishing.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        all(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, deadline - Date.now());
        }),
      ]);
      clearTimeout(timer);
    }
    if (this.running.size > 0) {
      for (const id of this.running.keys()) this.abort(id, 'shutdown');
      await all();
    }
    await this.lease.stop();
  }

  /** Asks for a claim round; coalesces with one already in flight. */
  wake(): void {
    if (!this.active) return;
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = this.claimRounds()
      .catch((err: unknown) => this.deps.logger.warn({ err: (err as Error).message }, 'claim failed'))
      .finally(() => {
        this.claiming = undefined;
        if (this.claimAgain) {
          this.claimAgain = false;
          this.wake();
        }
      });
  }

  abort(id: string, reason: AbortReason): void {
    if (this.held.has(id)) {
      this.abortHeld(id, reason);
      return;
    }
    const entry = this.running.get(id);
    if (entry && !entry.controller.signal.aborted) entry.controller.abort(new TaskAbort(reason));
  }

  /**
   * A held task (claimed, not started) is stopped: a lost lease just drops it (its new owner runs
   * it); a cancel ends it as a running task's cancel does — the attempt recorded, `cancelled`.
   */
  private abortHeld(id: string, reason: AbortReason): void {
    const held = this.held.take(id);
    if (!held || reason !== 'cancel') return;
    const entry = {
      task: held.task,
      controller: new AbortController(),
      startedAt: performance.now(),
    } as Running;
    entry.controller.abort(new TaskAbort('cancel'));
    this.finishing.set(id, entry);
    entry.done = this.record(entry, undefined, entry.controller.signal.reason)
      .catch((err: unknown) =>
        this.deps.logger.error({ err, taskId: held.task.taskId }, 'could not record task outcome'),
      )
      .finally(() => this.finishing.delete(id));
  }

  /**
   * Reserves what a claim may take: the slots free now (a task whose execution ended frees its
   * slot before its completion commits) plus the claim-ahead wanted, less what is held already.
   * Nothing while stopping.
   */
  private reserve(): ClaimRequest {
    const room =
      this.options.maxConcurrent + this.held.wanted - this.running.size - this.held.size - this.reserved;
    const limit = this.active ? Math.max(0, Math.min(room, MAX_BATCH)) : 0;
    this.reserved += limit;
    return { limit, leaseSeconds: this.options.leaseMs / 1000, excludedAgents: this.agentSlots.full() };
  }

  private async claimRounds(): Promise<void> {
    while (this.active) {
      const claim = this.reserve();
      if (claim.limit <= 0) return;
      const asked = performance.now();
      let rows: TaskRow[] = [];
      try {
        rows = await claimTasks(this.deps.db, this.options.nodeId, claim);
      } finally {
        this.reserved -= claim.limit;
      }
      this.held.observeClaim(performance.now() - asked);
      const released = await this.startClaimed(rows);
      if (rows.length < claim.limit || released) return;
    }
  }

  /**
   * Starts claimed tasks as slots allow and holds the rest (claim-ahead); gives back those over
   * their agent's `maxConcurrency` (the limit is learned from the agent, so a claim may
   * overshoot). Returns how many were given back.
   */
  private async startClaimed(rows: TaskRow[]): Promise<number> {
    const overLimit: string[] = [];
    for (const row of rows) {
      const task = toTask(row);
      const agent = await this.deps.agentById(row.agent_id as string).catch(() => undefined);
      if (agent && !this.agentSlots.hasRoom(agent)) {
        overLimit.push(task.id);
        continue;
      }
      const checkpoint = readCheckpoint(row.checkpoint);
      this.held.hold({ task, agent, checkpoint, traceparent: row.traceparent, since: performance.now() });
      this.startHeld();
    }
    await this.giveBack(overLimit);
    this.scheduleHoldExpiry();
    return overLimit.length;
  }

  /**
   * Starts held tasks while slots are free, in claim order, skipping agents at their limit — also
   * while stopping: until stop() gives the held tasks back, a free slot runs one (the drain waits).
   */
  private startHeld(): void {
    const room = this.options.maxConcurrent - this.running.size;
    if (room <= 0 || this.held.size === 0) return;
    const ready = this.held.takeStartable(room, (h) => !h.agent || this.agentSlots.hasRoom(h.agent));
    for (const h of ready) this.begin(h.task, h.agent, h.checkpoint, h.traceparent);
  }

  /** Gives held tasks back to `pending` once they waited `holdMs` for a slot. */
  private scheduleHoldExpiry(): void {
    const at = this.held.nextExpiry();
    if (this.holdTimer || at === undefined || !this.active) return;
    this.holdTimer = setTimeout(
      () => {
        this.holdTimer = undefined;
        void this.giveBack(this.held.takeExpired(performance.now())).finally(() => this.scheduleHoldExpiry());
      },
      Math.max(at - performance.now(), 1),
    );
    this.holdTimer.unref();
  }

  /** Back to `pending`, untouched (no attempt counted), for any node to take. */
  private async giveBack(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await releaseTasks(this.deps.db, this.options.nodeId, ids).catch((err: unknown) =>
      this.deps.logger.warn(
        { err: (err as Error).message },
        'could not give back tasks; their leases will expire',
      ),
    );
  }

  private begin(
    task: Task,
    agent: Agent | undefined,
    checkpoint?: Checkpoint,
    traceparent?: string | null,
  ): void {
    const controller = new AbortController();
    const entry = { task, controller, startedAt: performance.now(), checkpoint } as Running;
    this.running.set(task.id, entry);
    if (agent) this.agentSlots.take(agent.id);
    const run = () => this.execute(entry, agent);
    entry.done = traceTaskRun(task, traceparent, this.options.nodeId, run).finally(() => {
      this.freeSlot(entry, agent);
      this.finishing.delete(task.id);
      this.deps.metrics.recordFinish(performance.now() - entry.startedAt);
    });
  }

  /**
   * The task's execution ended: its slot (and its agent's) goes to the next task at once, while
   * its outcome is written — so a slot never idles through a completion's round trip. Until the
   * outcome is written the task stays in `finishing`: its lease is renewed, `stop` waits for it.
   */
  private freeSlot(entry: Running, agent: Agent | undefined): void {
    if (this.running.get(entry.task.id) !== entry) return;
    this.running.delete(entry.task.id);
    this.finishing.set(entry.task.id, entry);
    if (agent) this.agentSlots.give(agent.id);
    this.held.observeRun(performance.now() - entry.startedAt);
    this.startHeld();
    this.wake();
  }

  private async execute(entry: Running, agent: Agent | undefined): Promise<void> {
    const { task, controller } = entry;
    const { events, metrics } = this.deps;
    const scope = { taskId: task.taskId, ownerId: task.createdBy };
    metrics.recordStart(Date.now() - task.runAt.getTime());
    const attempt = task.retryCount + 1;
    events.emit('task:started', { taskId: task.taskId, agentId: agent?.agentId ?? null, attempt }, scope);
    const checkpoint = entry.checkpoint;
    if (checkpoint) events.emit('task:resumed', { taskId: task.taskId, attempt }, scope);
    // `timeoutSeconds` counts running time only: time spent waiting is not charged (SPEC §11).
    const used = checkpoint && checkpoint.attempt === task.retryCount ? checkpoint.elapsedMs : 0;
    const timeout = setTimeout(
      () => controller.abort(new TaskAbort('timeout')),
      Math.max(task.timeoutSeconds * 1000 - used, 1),
    );
    let result: ProviderResult | undefined;
    let failure: unknown;
    try {
      if (!agent) throw new Error('agent not found');
      events.emit(
        'agent:execution:started',
        { taskId: task.taskId, agentId: agent.agentId, provider: agent.modelProvider, attempt },
        scope,
      );
      const provider = this.deps.providers.get(agent.modelProvider);
      if (!provider) throw new Error(`unknown model provider ${agent.modelProvider}`);
      await this.deps.checkBudget?.(agent, task);
      // A vault read per task only for providers that use a key (the queue benchmark's echo tasks
      // ran one needless query each: 10,010 of them for 10,000 jobs).
      const apiKey = provider.needsApiKey ? await this.deps.apiKey?.(agent) : undefined;
      const input = task.threadId && this.deps.prepareInput ? await this.deps.prepareInput(task) : task.input;
      const stream = agent.config.stream === false ? undefined : this.deps.stream?.(task, attempt);
      const tools = traceTools(this.deps.tools?.(agent, task));
      const resume =
        checkpoint && this.deps.resume
          ? await abortable(
              this.deps.resume(checkpoint.conversation, tools, controller.signal),
              controller.signal,
            )
          : undefined;
      result = await abortable(
        provider.run(input as TaskInput, {
          agent,
          task,
          signal: controller.signal,
          logger: this.deps.logger,
          apiKey,
          tools,
          stream,
          resume,
          saveTurn: (conversation) =>
            saveCheckpoint(this.deps.db, task.id, this.options.nodeId, {
              conversation,
              elapsedMs: used + Math.round(performance.now() - entry.startedAt),
              attempt: task.retryCount,
            } satisfies Checkpoint),
        }),
        controller.signal,
      );
    } catch (error) {
      failure = controller.signal.aborted ? controller.signal.reason : error;
    } finally {
      clearTimeout(timeout);
    }
    this.freeSlot(entry, agent);
    try {
      await this.record(entry, result, failure);
    } catch (err) {
      // The lease will expire and another worker (or this one) will retry the task.
      this.deps.logger.error({ err, taskId: task.taskId }, 'could not record task outcome');
    }
  }

  private async record(entry: Running, result: ProviderResult | undefined, failure: unknown): Promise<void> {
    const { task } = entry;
    const { db, logger } = this.deps;
    const owner = this.options.nodeId;
    const executionTimeMs = Math.round(performance.now() - entry.startedAt);
    const executionId = `exec_${randomUUID()}`;
    if (isAbort(failure, 'shutdown')) {
      await releaseTasks(db, owner, [task.id]);
      return;
    }
    if (isAbort(failure, 'lease-lost')) {
      logger.warn({ taskId: task.taskId }, 'lease lost; result discarded, the new owner runs it');
      return;
    }
    if (failure instanceof TaskWaiting) {
      await this.park(entry, failure, executionTimeMs);
      return;
    }
    let finished: Task | undefined;
    if (result && failure === undefined) {
      const completion: Completion = {
        id: task.id,
        result,
        executionId,
        output: result.text,
        tokensUsed: result.usage.totalTokens,
        executionTimeMs,
      };
      const done =
        task.threadId && this.deps.completeThreadTask
          ? await this.deps.completeThreadTask(task, completion)
          : await this.completions.complete(completion);
      finished = done && completedTask(task, completion, done);
    } else {
      const timedOut = isAbort(failure, 'timeout');
      const message = failureMessage(failure, task.timeoutSeconds);
      const delayMs = this.options.backoff.delayMs(task.retryCount + 1);
      const row = await failTask(
        db,
        task.id,
        owner,
        message,
        timedOut ? 'timeout' : 'failure',
        { executionId, tokensUsed: null, executionTimeMs },
        delayMs,
        isRetryable(failure),
      );
      if (row?.status === 'pending') this.wakeAfter(delayMs);
      finished = row && toTask(row);
    }
    if (!finished) {
      logger.warn({ taskId: task.taskId }, 'task no longer leased to this node; outcome discarded');
      return;
    }
    reportFinished(this.deps.events, this.deps.metrics, finished, executionTimeMs);
  }

  /** Parks a task whose tool calls continue without it: no slot, no lease, its state kept. */
  private async park(entry: Running, waiting: TaskWaiting, executionTimeMs: number): Promise<void> {
    const { task } = entry;
    const before = entry.checkpoint?.attempt === task.retryCount ? entry.checkpoint.elapsedMs : 0;
    const checkpoint: Checkpoint = {
      conversation: waiting.conversation,
      elapsedMs: before + executionTimeMs,
      attempt: task.retryCount,
    };
    const row = await parkTask(this.deps.db, task.id, this.options.nodeId, checkpoint);
    if (!row) {
      this.deps.logger.warn({ taskId: task.taskId }, 'task no longer leased to this node; park discarded');
      return;
    }
    const parked = toTask(row);
    const scope = { taskId: task.taskId, ownerId: task.createdBy };
    if (parked.status === 'cancelled') {
      reportFinished(this.deps.events, this.deps.metrics, parked, executionTimeMs);
      await this.deps.afterCancelledPark?.(parked);
      return;
    }
    const waitingFor = waiting.conversation.turn.flatMap((c) => (c.wait ? [c.wait] : []));
    this.deps.events.emit('task:waiting', { taskId: task.taskId, waitingFor }, scope);
    // Everything it waited for ended before it parked: it is pending again already.
    if (parked.status === 'pending') this.wake();
  }

  private wakeAfter(ms: number): void {
    setTimeout(() => this.wake(), ms + 5).unref();
  }

  /** Takes back expired leases (dead workers) so their tasks run again. */
  private async reap(): Promise<void> {
    try {
      const rows = await reapExpiredLeases(this.deps.db, REAP_BATCH);
      for (const row of rows)
        reportReaped(this.deps.events, this.deps.metrics, toTask(row), this.deps.logger);
      if (rows.some((r) => r.status === 'pending')) this.wake();
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'could not reap expired leases');
    }
  }
}
