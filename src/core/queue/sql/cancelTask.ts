import type { Queryable } from '../../../db/index.js';
import type { TaskRow } from '../../../repositories/tasks.js';
import { CANCEL_CHANNEL } from '../channels.js';

/**
 * Cancels a task that has not finished. A pending or waiting task becomes `cancelled` at once (no
 * worker can claim it: the row lock orders this against any claim). A running task gets `cancel_requested`,
 * and its id is NOTIFYed so the node that holds the lease — whichever process it is — aborts it;
 * that node then records the attempt and the final `cancelled`. No row: unknown or already final.
 */
export async function cancelTask(db: Queryable, id: string): Promise<TaskRow | undefined> {
  const { rows } = await db.query<TaskRow>(
    `WITH cancelled AS (
       UPDATE tasks
       SET status = CASE WHEN status IN ('pending', 'waiting') THEN 'cancelled' ELSE status END,
           cancel_requested = (status = 'running'),
           completed_at = CASE WHEN status IN ('pending', 'waiting') THEN CURRENT_TIMESTAMP ELSE completed_at END
       WHERE id = $1 AND status IN ('pending', 'running', 'waiting')
       RETURNING *
     )
     SELECT cancelled.*,
            CASE WHEN cancelled.status = 'running' THEN pg_notify('${CANCEL_CHANNEL}', cancelled.id::text) END
              AS notified
     FROM cancelled`,
    [id],
    { prepare: true },
  );
  return rows[0];
}
