import type { Queryable } from '../../../db/index.js';
import type { TaskRow } from '../../../repositories/tasks.js';

/**
 * Takes back running tasks whose lease expired — their worker died (kill -9) or lost the database
 * for longer than a lease. Any live worker runs this; `SKIP LOCKED` keeps two reapers from taking
 * the same row. The lost attempt counts as a failure (recorded as an execution), then the usual
 * rule applies: retry while attempts are left, else `failed`; cancelled if cancel was requested.
 * This replaces the seed's "reset every running task at start-up", which is wrong once several
 * workers share the queue (it would steal tasks that are running fine elsewhere).
 */
export async function reapExpiredLeases(db: Queryable, limit: number): Promise<TaskRow[]> {
  const { rows } = await db.query<TaskRow>(
    `WITH expired AS (
       SELECT id, lease_owner AS lost_owner FROM tasks
       WHERE status = 'running' AND lease_expires_at < CURRENT_TIMESTAMP
       ORDER BY lease_expires_at
       LIMIT $1
       FOR UPDATE SKIP LOCKED
     ), done AS (
       UPDATE tasks t
       SET status = CASE WHEN t.cancel_requested THEN 'cancelled'
                         WHEN t.retry_count < t.max_retries THEN 'pending' ELSE 'failed' END,
           retry_count = CASE WHEN NOT t.cancel_requested AND t.retry_count < t.max_retries
                              THEN t.retry_count + 1 ELSE t.retry_count END,
           run_at = CURRENT_TIMESTAMP,
           completed_at = CASE WHEN t.cancel_requested OR t.retry_count >= t.max_retries
                               THEN CURRENT_TIMESTAMP ELSE NULL END,
           error = 'lease expired: worker ' || COALESCE(e.lost_owner, '?') || ' stopped renewing it',
           lease_owner = NULL, lease_expires_at = NULL
       FROM expired e
       WHERE t.id = e.id
       RETURNING t.*
     ), attempt AS (
       INSERT INTO agent_executions (execution_id, agent_id, task_id, input, status, error_message)
       SELECT 'exec_' || gen_random_uuid()::text, done.agent_id, done.id, done.input::text, 'failure', done.error
       FROM done
     )
     SELECT * FROM done`,
    [limit],
    { prepare: true },
  );
  return rows;
}
