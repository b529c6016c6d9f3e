/**
 * Turns a task's new state after an attempt into events and metrics, one place for the worker and
 * the reaper, so both report the same way.
 */
import type { Task } from '../../domain.js';
import type { Logger } from '../../logger.js';
import type { EventBus } from '../eventBus.js';
import type { QueueMetrics } from './metrics.js';

export function reportFinished(
  events: EventBus,
  metrics: QueueMetrics,
  task: Task,
  durationMs: number,
): void {
  const scope = { taskId: task.taskId, ownerId: task.createdBy };
  const base = { taskId: task.taskId, status: task.status, attempt: task.retryCount + 1 };
  switch (task.status) {
    case 'completed':
      metrics.completed += 1;
      events.emit('task:completed', { ...base, durationMs }, scope);
      break;
    case 'pending':
      metrics.retried += 1;
      if (task.error?.startsWith('timed out')) metrics.timedOut += 1;
      events.emit(
        'task:retry',
        { ...base, attempt: task.retryCount, error: task.error, runAt: task.runAt.toISOString() },
        scope,
      );
      break;
    case 'failed':
      metrics.failed += 1;
      if (task.error?.startsWith('timed out')) metrics.timedOut += 1;
      events.emit('task:failed', { ...base, error: task.error }, scope);
      break;
    case 'cancelled':
      metrics.cancelled += 1;
      events.emit('task:cancelled', base, scope);
      break;
    default:
      break;
  }
}

export function reportReaped(events: EventBus, metrics: QueueMetrics, task: Task, logger: Logger): void {
  metrics.reaped += 1;
  logger.warn({ taskId: task.taskId, status: task.status }, 'took back a task whose lease expired');
  reportFinished(events, metrics, task, 0);
}
