/**
 * The seam between the workflow engine and the task queue: how a step becomes a task. The queue
 * implements `WorkflowTaskRunner`; tests use a small in-memory stand-in.
 */
import type { TaskStatus } from '../../domain.js';

/** What the engine asks of the task queue for one step. */
export interface StepTaskRequest {
  /** Deterministic per run and step: submitting it twice must return the existing task. */
  taskId: string;
  /** The agent's human handle. */
  agentId: string;
  /** The step's rendered input (`{ prompt }` or `{ messages }`). */
  input: unknown;
  timeoutSeconds?: number;
  createdBy: string | null;
  metadata: { workflowId: string; workflowRunId: string; workflowStepId: string };
}

/** The task as the queue knows it after `submit` (already terminal when it was submitted before). */
export interface StepTaskOutcome {
  taskId: string;
  status: TaskStatus;
  output?: unknown;
  error?: string | null;
}

/**
 * The seam to the task queue. The queue reports each step task's end by calling
 * `WorkflowEngine.onTaskFinished` (from its `task:completed|failed|cancelled` events).
 */
export interface WorkflowTaskRunner {
  submit(request: StepTaskRequest): Promise<StepTaskOutcome>;
  cancel(taskId: string): Promise<void>;
}

/** `wf_<run uuid without dashes>_<step id>`: at most 3 + 32 + 1 + 64 = 100 characters (tasks.task_id). */
export const STEP_TASK_PREFIX = 'wf_';
export const stepTaskId = (runId: string, stepId: string) =>
  `${STEP_TASK_PREFIX}${runId.replace(/-/g, '')}_${stepId}`;
