import type { Queryable } from '../../../db/index.js';

/**
 * Whether the schedule's latest fire is still at work (`overlap: skip`): its task not yet in a
 * final state, or its workflow run still running. Reads one row of the fires index.
 */
export async function previousFireActive(db: Queryable, scheduleUuid: string): Promise<boolean> {
  const { rows } = await db.query<{ active: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM (
         SELECT task_id, run_id FROM schedule_fires
         WHERE schedule_id = $1 AND status = 'fired'
         ORDER BY fire_time DESC, created_at DESC LIMIT 1
       ) f
       LEFT JOIN tasks t ON t.id = f.task_id
       LEFT JOIN workflow_runs r ON r.id = f.run_id
       WHERE t.status NOT IN ('completed', 'failed', 'cancelled') OR r.status = 'running'
     ) AS active`,
    [scheduleUuid],
    { prepare: true },
  );
  return rows[0]?.active === true;
}
