/**
 * Conversations (SPEC §12): threads, their turns as tasks of type "thread", the `multitask`
 * policy, and the retention sweeper.
 *
 * Order within a thread: a message sent while a run is active is parked (see sql/parked.ts) and
 * promoted when that run ends — in the completion's own transaction when it completes, otherwise
 * on the failure/cancel event, with a periodic sweep behind both. A run reads the thread's history
 * when it starts, so an enqueued message sees the answer to the one before it.
 */
import type { Db } from '../../db/index.js';
import type { Task } from '../../domain.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { toTask } from '../../repositories/tasks.js';
import type { ThreadRepository } from '../../repositories/threads.js';
import type { AgentManager } from '../agentManager.js';
import type { EventBus } from '../eventBus.js';
import type { ChatMessage, ProviderResult } from '../providers/types.js';
import { type CompletedRow, type Completion, completeTasks } from '../queue/sql/completeTasks.js';
import type { TaskQueue } from '../queue/taskQueue.js';
import { appendMessages } from './sql/appendMessages.js';
import { insertThreadTask } from './sql/insertThreadTask.js';
import { activeThreadTasks, lockThread } from './sql/lockThread.js';
import { promoteNext, stalledThreads } from './sql/promoteNext.js';
import { turnMessages, turnPrompt } from './turn.js';

export type MultitaskPolicy = 'reject' | 'enqueue' | 'interrupt';
export const MULTITASK_POLICIES: readonly MultitaskPolicy[] = ['reject', 'enqueue', 'interrupt'];

export interface ThreadsDeps {
  db: Db;
  repo: ThreadRepository;
  queue: TaskQueue;
  agents: AgentManager;
  events: EventBus;
  logger: Logger;
  nodeId: string;
  /** Threads idle longer than this are deleted (0 keeps them). */
  ttlDays: number;
}

const PROMOTE_SWEEP_MS = 5_000;
const RETENTION_SWEEP_MS = 60 * 60_000;

export class Threads {
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: ThreadsDeps) {}

  /** Follows failed/cancelled turns (to start the next) and runs the sweepers. */
  start(): void {
    if (this.timers.length) return;
    this.unsubscribe = this.deps.events.subscribe(
      (event) => {
        if (event.taskId) void this.afterTurnEnded(event.taskId);
      },
      ['task:failed', 'task:cancelled'],
    );
    const promote = setInterval(() => void this.promoteStalled(), PROMOTE_SWEEP_MS);
    const retention = setInterval(() => void this.sweep(), RETENTION_SWEEP_MS);
    for (const t of [promote, retention]) t.unref();
    this.timers.push(promote, retention);
    void this.sweep();
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
    this.unsubscribe?.();
  }

  async create(request: { agentId: string; metadata?: Record<string, unknown>; createdBy: string | null }) {
    const agent = await this.deps.agents.get(request.agentId);
    const thread = await this.deps.repo.create({
      agentUuid: agent.id,
      createdBy: request.createdBy,
      metadata: request.metadata ?? {},
    });
    return thread;
  }

  /**
   * Sends a message: a task of type "thread" that runs with the whole history. `reject` answers
   * 409 THREAD_BUSY while a run is active; `enqueue` parks it behind the active run; `interrupt`
   * cancels every active run first.
   */
  async send(request: {
    threadId: string;
    content: string;
    multitask?: MultitaskPolicy;
    createdBy: string | null;
    owner?: string;
  }): Promise<{ task: Task; cancelled: string[] }> {
    const thread = await this.deps.repo.find(request.threadId, request.owner);
    const policy = request.multitask ?? 'reject';
    const cancelled: string[] = [];
    if (policy === 'interrupt') {
      for (const taskId of await activeThreadTasks(this.deps.db, thread.threadId)) {
        await this.deps.queue.cancel(taskId).catch(() => undefined); // finished meanwhile: fine
        cancelled.push(taskId);
      }
    }
    const { task } = await this.deps.queue.submit({
      agentId: thread.agentId,
      type: 'thread',
      input: { prompt: request.content },
      createdBy: request.createdBy,
      metadata: {},
      insert: (params) =>
        this.deps.db.transaction(async (tx) => {
          const lock = await lockThread(tx, thread.threadId);
          if (!lock) throw new AppError('Thread not found', 404, 'THREAD_NOT_FOUND');
          if (lock.active > 0 && policy === 'reject') {
            throw new AppError('The thread is busy with another message', 409, 'THREAD_BUSY', {
              threadId: thread.threadId,
            });
          }
          return insertThreadTask(tx, params, thread.threadId, lock.active > 0);
        }),
    });
    return { task, cancelled };
  }

  /** Cancels the thread's active runs and deletes it with its messages. */
  async delete(threadId: string, owner?: string): Promise<void> {
    const thread = await this.deps.repo.find(threadId, owner);
    for (const taskId of await activeThreadTasks(this.deps.db, thread.threadId)) {
      await this.deps.queue.cancel(taskId).catch(() => undefined);
    }
    await this.deps.repo.delete(thread.threadId);
  }

  /** The provider's input for a thread task: the history so far, then this turn's message. */
  async prepareInput(task: Task): Promise<{ messages: ChatMessage[] }> {
    const history = task.threadId ? await this.deps.repo.messages(task.threadId) : [];
    const messages: ChatMessage[] = history.map((m) => ({
      role: m.role,
      content: m.content,
      ...(m.toolCalls ? { toolCalls: m.toolCalls } : {}),
      ...(m.toolCallId ? { toolCallId: m.toolCallId } : {}),
    }));
    messages.push({ role: 'user', content: turnPrompt(task.input) });
    return { messages };
  }

  /** Completes the task, appends its turn and starts the next parked one — one transaction. */
  completeTask(task: Task, completion: Completion): Promise<CompletedRow | undefined> {
    const threadId = task.threadId as string;
    return this.deps.db.transaction(async (tx) => {
      const lock = await lockThread(tx, threadId);
      // The queue's own completion (the attempt's row, its cost), as a batch of one in this transaction.
      const [row] = await completeTasks(tx, this.deps.nodeId, [completion]);
      if (row && lock) {
        const messages = turnMessages(turnPrompt(task.input), completion.result as ProviderResult);
        await appendMessages(tx, threadId, task.taskId, messages);
        await promoteNext(tx, threadId);
      }
      return row;
    });
  }

  /** Deletes threads idle longer than the TTL (none when it is 0). */
  async sweep(): Promise<number> {
    if (this.deps.ttlDays <= 0) return 0;
    try {
      const n = await this.deps.repo.deleteIdle(this.deps.ttlDays);
      if (n) this.deps.logger.info({ deleted: n, ttlDays: this.deps.ttlDays }, 'deleted idle threads');
      return n;
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'thread retention sweep failed');
      return 0;
    }
  }

  async promote(threadId: string): Promise<Task | undefined> {
    const row = await this.deps.db.transaction(async (tx) =>
      (await lockThread(tx, threadId)) ? promoteNext(tx, threadId) : undefined,
    );
    return row ? toTask(row) : undefined;
  }

  private async afterTurnEnded(taskId: string): Promise<void> {
    try {
      const task = await this.deps.queue.get(taskId);
      if (task.threadId) await this.promote(task.threadId);
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message, taskId }, 'could not start the next turn');
    }
  }

  private async promoteStalled(): Promise<void> {
    try {
      for (const threadId of await stalledThreads(this.deps.db, 100)) await this.promote(threadId);
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'thread promotion sweep failed');
    }
  }
}
