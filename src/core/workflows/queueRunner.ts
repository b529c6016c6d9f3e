/**
 * Connects the workflow engine to the task queue: steps become queue tasks, and every step task's
 * end (on any node — the event bus carries other nodes' events) moves its run on.
 */
import type { TaskStatus } from '../../domain.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { TaskRepository } from '../../repositories/tasks.js';
import type { EventBus } from '../eventBus.js';
import type { TaskQueue } from '../queue/taskQueue.js';
import {
  STEP_TASK_PREFIX,
  type StepTaskOutcome,
  type StepTaskRequest,
  type WorkflowTaskRunner,
} from './taskRunner.js';
import type { WorkflowEngine } from './workflowEngine.js';

export class QueueWorkflowRunner implements WorkflowTaskRunner {
  constructor(private readonly queue: TaskQueue) {}

  async submit(request: StepTaskRequest): Promise<StepTaskOutcome> {
    const { task } = await this.queue.submit({
      taskId: request.taskId,
      agentId: request.agentId,
      input: request.input,
      timeoutSeconds: request.timeoutSeconds,
      metadata: request.metadata,
      createdBy: request.createdBy,
    });
    return { taskId: task.taskId, status: task.status, output: task.output, error: task.error };
  }

  /** Cancelling a step task that already ended (or never existed) is not an error for a run. */
  async cancel(taskId: string): Promise<void> {
    try {
      await this.queue.cancel(taskId);
    } catch (error) {
      if (error instanceof AppError && (error.code === 'TASK_FINISHED' || error.code === 'TASK_NOT_FOUND'))
        return;
      throw error;
    }
  }
}

/**
 * Feeds the end of every step task to the engine. The event carries no output, so the task is
 * read back; the engine's own row locks make a second delivery (another node) harmless.
 */
export function followStepTasks(
  events: EventBus,
  tasks: TaskRepository,
  engine: WorkflowEngine,
  logger: Logger,
): () => void {
  return events.subscribe(
    (event) => {
      const taskId = event.taskId;
      if (!taskId?.startsWith(STEP_TASK_PREFIX)) return; // only steps' tasks (see stepTaskId)
      void (async () => {
        const task = await tasks.findByTaskId(taskId);
        await engine.onTaskFinished(task.taskId, task.status as TaskStatus, task.output, task.error);
      })().catch((err: unknown) => logger.error({ err, taskId }, 'workflow step update failed'));
    },
    ['task:completed', 'task:failed', 'task:cancelled'],
  );
}
