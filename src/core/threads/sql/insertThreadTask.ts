import type { Queryable } from '../../../db/index.js';
import type { TaskRow } from '../../../repositories/tasks.js';
import { NEW_TASK_CHANNEL } from '../../queue/channels.js';
import type { InsertTaskParams } from '../../queue/sql/insertTask.js';
import { PARKED_RUN_AT } from './parked.js';

/**
 * Inserts a thread's task (under the thread's lock), parked when the thread already has an active
 * run. `threadTurn` in its metadata orders parked tasks: timestamps can tie (PGlite's clock ticks
 * in milliseconds), the turn number cannot.
 */
export async function insertThreadTask(
  tx: Queryable,
  p: InsertTaskParams,
  threadId: string,
  parked: boolean,
): Promise<TaskRow | undefined> {
  const { rows } = await tx.query<TaskRow>(
    `WITH turn AS (
       SELECT count(*) + 1 AS n FROM tasks WHERE thread_id = $11
     ), inserted AS (
       INSERT INTO tasks (task_id, agent_id, type, priority, input, metadata, max_retries, timeout_seconds,
                          created_by, parent_task_id, thread_id, run_at)
       SELECT $1, $2, $3, $4, $5, $6::jsonb || jsonb_build_object('threadTurn', turn.n), $7, $8, $9, $10, $11,
              CASE WHEN $12 THEN TIMESTAMP '${PARKED_RUN_AT}' ELSE CURRENT_TIMESTAMP END
       FROM turn
       ON CONFLICT (task_id) DO NOTHING
       RETURNING *
     )
     SELECT inserted.*, pg_notify('${NEW_TASK_CHANNEL}', '') AS notified FROM inserted`,
    [
      p.taskId,
      p.agentUuid,
      p.type,
      p.priority,
      JSON.stringify(p.input),
      JSON.stringify(p.metadata),
      p.maxRetries,
      p.timeoutSeconds,
      p.createdBy,
      p.parentTaskId,
      threadId,
      parked,
    ],
  );
  return rows[0];
}
