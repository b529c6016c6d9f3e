import type {
  StepTaskOutcome,
  StepTaskRequest,
  WorkflowTaskRunner,
} from '../../../src/core/workflows/taskRunner.js';
import type { WorkflowEngine } from '../../../src/core/workflows/workflowEngine.js';
import type { TaskStatus } from '../../../src/domain.js';

/**
 * A stand-in for the task queue: it keeps tasks in memory, answers a resubmitted task id with the
 * existing task, and finishes tasks like the `echo` provider (output text = the prompt) — at once,
 * or when the test says so (`hold`). Agents listed in `failing` fail their tasks.
 */
export class FakeQueue implements WorkflowTaskRunner {
  engine!: WorkflowEngine;
  readonly tasks = new Map<
    string,
    { request: StepTaskRequest; status: TaskStatus; output?: unknown; error?: string }
  >();
  readonly submitted: StepTaskRequest[] = [];
  readonly cancelled: string[] = [];
  readonly failing = new Set<string>();
  readonly refusing = new Set<string>();

  constructor(public hold = false) {}

  async submit(request: StepTaskRequest): Promise<StepTaskOutcome> {
    const existing = this.tasks.get(request.taskId);
    if (existing)
      return {
        taskId: request.taskId,
        status: existing.status,
        output: existing.output,
        error: existing.error,
      };
    if (this.refusing.has(request.agentId)) throw new Error(`Agent ${request.agentId} not found`);
    this.tasks.set(request.taskId, { request, status: 'running' });
    this.submitted.push(request);
    if (!this.hold) setImmediate(() => void this.finish(request.taskId));
    return { taskId: request.taskId, status: 'running' };
  }

  async cancel(taskId: string): Promise<void> {
    this.cancelled.push(taskId);
    const task = this.tasks.get(taskId);
    if (task) task.status = 'cancelled';
  }

  /** Ends a task as the worker would, and reports it to the engine as the queue's events would. */
  async finish(taskId: string): Promise<void> {
    const task = this.tasks.get(taskId);
    if (task?.status !== 'running') return;
    if (this.failing.has(task.request.agentId)) {
      task.status = 'failed';
      task.error = `agent ${task.request.agentId} failed`;
    } else {
      task.status = 'completed';
      task.output = { text: (task.request.input as { prompt: string }).prompt };
    }
    await this.engine.onTaskFinished(taskId, task.status, task.output ?? null, task.error ?? null);
  }

  stepIds(): string[] {
    return this.submitted.map((r) => r.metadata.workflowStepId);
  }
}
