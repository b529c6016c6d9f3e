import type { Db } from '../../../db/index.js';
import type { TaskRow } from '../../../repositories/tasks.js';

/**
 * Parks a running task whose tool calls continue without it (SPEC §11): `waiting`, with its
 * conversation in `checkpoint`, no lease and no slot — or `cancelled` when a cancel came in
 * meanwhile. Then, in the same transaction, `bsm_resume_waiting_task` (migration 030) puts it
 * straight back to `pending` when everything it waits for ended already (a fast child finishing
 * before its parent parked). Two statements, not one: the release check must run with a snapshot
 * taken after this row's lock, or a child committing in between would be missed for good.
 * `lease_owner = $2`: a worker that lost its lease cannot park the new owner's task.
 */
export async function parkTask(
  db: Db,
  id: string,
  owner: string,
  checkpoint: unknown,
): Promise<TaskRow | undefined> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<TaskRow>(
      `UPDATE tasks
       SET status = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'waiting' END,
           completed_at = CASE WHEN cancel_requested THEN CURRENT_TIMESTAMP ELSE completed_at END,
           checkpoint = $3, lease_owner = NULL, lease_expires_at = NULL
       WHERE id = $1 AND status = 'running' AND lease_owner = $2
       RETURNING *`,
      [id, owner, JSON.stringify(checkpoint)],
    );
    const row = rows[0];
    if (row?.status !== 'waiting') return row;
    const released = await tx.query<{ resumed: boolean }>('SELECT bsm_resume_waiting_task($1) AS resumed', [
      id,
    ]);
    if (released.rows[0]?.resumed) row.status = 'pending';
    return row;
  });
}
