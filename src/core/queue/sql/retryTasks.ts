import type { Queryable } from '../../../db/index.js';
import { NEW_TASK_CHANNEL } from '../channels.js';

export interface RetryFilter {
  /** tasks.id of one task, or every task matching the rest. */
  id?: string;
  statuses: readonly ('failed' | 'cancelled')[];
  /** agents.id (UUID). */
  agentUuid?: string;
  /** Only this user's tasks (a `user` retries only their own). */
  createdBy?: string;
  /** Created at or after / before (ISO timestamps; the session runs in UTC). */
  from?: string;
  to?: string;
}

export interface RetriedRow {
  task_id: string;
  created_by: string | null;
  retry_count: number;
}

/**
 * Puts failed or cancelled tasks back in the queue (SPEC §13) with a fresh attempt budget: status
 * `pending`, `retry_count` 0, due now, last run's output, error, times and lease cleared (its
 * executions stay as history). The status condition in the WHERE makes it race-free against a
 * concurrent retry or cancel, and idle workers are woken in the same statement.
 */
export async function retryTasks(db: Queryable, f: RetryFilter): Promise<RetriedRow[]> {
  const { rows } = await db.query<RetriedRow>(
    `WITH retried AS (
       UPDATE tasks
       SET status = 'pending', retry_count = 0, run_at = CURRENT_TIMESTAMP, started_at = NULL,
           completed_at = NULL, output = NULL, error = NULL, cancel_requested = false,
           lease_owner = NULL, lease_expires_at = NULL
       WHERE status = ANY($1::text[])
         AND ($2::uuid IS NULL OR id = $2::uuid)
         AND ($3::uuid IS NULL OR agent_id = $3::uuid)
         AND ($4::uuid IS NULL OR created_by = $4::uuid)
         AND ($5::timestamptz IS NULL OR created_at >= $5::timestamptz)
         AND ($6::timestamptz IS NULL OR created_at < $6::timestamptz)
       RETURNING task_id, created_by, retry_count
     )
     SELECT retried.*, pg_notify('${NEW_TASK_CHANNEL}', '') AS notified FROM retried`,
    [f.statuses, f.id ?? null, f.agentUuid ?? null, f.createdBy ?? null, f.from ?? null, f.to ?? null],
  );
  return rows;
}
