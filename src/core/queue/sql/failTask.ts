import type { Queryable } from '../../../db/index.js';
import type { ExecutionStatus } from '../../../domain.js';
import type { TaskRow } from '../../../repositories/tasks.js';
import type { AttemptRecord } from './completeTasks.js';

/**
 * Ends a failed attempt (error or timeout) and records it, in one statement:
 * - cancel requested meanwhile → `cancelled`;
 * - attempts left (`retry_count < max_retries`) → back to `pending`, due after `retryDelayMs`;
 * - otherwise, or when the failure cannot succeed on a retry (`retryable` false: e.g. a missing
 *   provider key) → `failed`, keeping the error.
 * The CASEs read the row's values from before the update, so the decision and the change agree.
 */
export async function failTask(
  db: Queryable,
  id: string,
  owner: string,
  error: string,
  status: Exclude<ExecutionStatus, 'success'>,
  attempt: Omit<AttemptRecord, 'output'>,
  retryDelayMs: number,
  retryable = true,
): Promise<TaskRow | undefined> {
  const { rows } = await db.query<TaskRow>(
    `WITH done AS (
       UPDATE tasks
       SET status = CASE WHEN cancel_requested THEN 'cancelled'
                         WHEN $9::boolean AND retry_count < max_retries THEN 'pending' ELSE 'failed' END,
           retry_count = CASE WHEN NOT cancel_requested AND $9::boolean AND retry_count < max_retries
                              THEN retry_count + 1 ELSE retry_count END,
           run_at = CASE WHEN NOT cancel_requested AND $9::boolean AND retry_count < max_retries
                         THEN CURRENT_TIMESTAMP + make_interval(secs => $7::float8 / 1000) ELSE run_at END,
           completed_at = CASE WHEN cancel_requested OR NOT $9::boolean OR retry_count >= max_retries
                               THEN CURRENT_TIMESTAMP ELSE NULL END,
           error = $3, lease_owner = NULL, lease_expires_at = NULL
       WHERE id = $1 AND status = 'running' AND lease_owner = $2
       RETURNING *
     ), attempt AS (
       INSERT INTO agent_executions (execution_id, agent_id, task_id, input, tokens_used, execution_time_ms,
                                     status, error_message)
       SELECT $4, done.agent_id, done.id, done.input::text, $5, $6, $8, $3 FROM done
     )
     SELECT * FROM done`,
    [
      id,
      owner,
      error,
      attempt.executionId,
      attempt.tokensUsed,
      attempt.executionTimeMs,
      retryDelayMs,
      status,
      retryable,
    ],
    { prepare: true },
  );
  return rows[0];
}
