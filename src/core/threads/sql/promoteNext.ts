import type { Queryable } from '../../../db/index.js';
import type { TaskRow } from '../../../repositories/tasks.js';
import { NEW_TASK_CHANNEL } from '../../queue/channels.js';
import { PARKED_RUN_AT } from './parked.js';

/**
 * Un-parks the thread's next task (lowest turn) when nothing of the thread is running or due —
 * under the thread's lock, so two nodes never promote two tasks. Wakes the workers.
 */
export async function promoteNext(tx: Queryable, threadId: string): Promise<TaskRow | undefined> {
  const { rows } = await tx.query<TaskRow>(
    `WITH next AS (
       SELECT id FROM tasks
       WHERE thread_id = $1 AND status = 'pending' AND run_at >= TIMESTAMP '${PARKED_RUN_AT}'
         AND NOT EXISTS (
           SELECT 1 FROM tasks a
           WHERE a.thread_id = $1
             AND (a.status IN ('running', 'waiting') OR (a.status = 'pending' AND a.run_at < TIMESTAMP '${PARKED_RUN_AT}'))
         )
       ORDER BY (metadata->>'threadTurn')::int, created_at
       LIMIT 1
     ), promoted AS (
       UPDATE tasks SET run_at = CURRENT_TIMESTAMP FROM next WHERE tasks.id = next.id RETURNING tasks.*
     )
     SELECT promoted.*, pg_notify('${NEW_TASK_CHANNEL}', '') AS notified FROM promoted`,
    [threadId],
  );
  return rows[0];
}

/** Threads with a parked task and nothing running or due: their next turn was never promoted. */
export async function stalledThreads(db: Queryable, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ thread_id: string }>(
    `SELECT DISTINCT p.thread_id FROM tasks p
     WHERE p.status = 'pending' AND p.run_at >= TIMESTAMP '${PARKED_RUN_AT}' AND p.thread_id IS NOT NULL
       AND NOT EXISTS (
         SELECT 1 FROM tasks a
         WHERE a.thread_id = p.thread_id
           AND (a.status IN ('running', 'waiting') OR (a.status = 'pending' AND a.run_at < TIMESTAMP '${PARKED_RUN_AT}'))
       )
     LIMIT $1`,
    [limit],
  );
  return rows.map((r) => r.thread_id);
}
