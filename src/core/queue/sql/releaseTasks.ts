import type { Queryable } from '../../../db/index.js';
import { NEW_TASK_CHANNEL } from '../channels.js';

/**
 * Gives tasks back to the queue untouched (no attempt counted): on graceful stop after the drain
 * period, or when a batch claimed more of one agent's tasks than its `maxConcurrency` allows.
 * Other workers are woken to take them.
 */
export async function releaseTasks(db: Queryable, owner: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const { rows } = await db.query<{ id: string }>(
    `WITH released AS (
       UPDATE tasks SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL
       WHERE id = ANY($1::uuid[]) AND lease_owner = $2 AND status = 'running'
       RETURNING id
     )
     SELECT id, pg_notify('${NEW_TASK_CHANNEL}', '') AS notified FROM released`,
    [ids, owner],
    { prepare: true },
  );
  return rows.length;
}
