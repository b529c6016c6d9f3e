import type { Queryable } from '../../../db/index.js';
import type { ScheduleRow } from '../../../repositories/schedules.js';

export interface DueScheduleRow extends ScheduleRow {
  /** The database's clock at the start of the transaction: the "now" every fire decision uses. */
  db_now: Date;
  /** False when the owner was deactivated: their schedule stops firing. */
  owner_active: boolean;
}

/**
 * Locks a schedule that is due, for the rest of the transaction. `SKIP LOCKED`: when another node
 * holds it, this one moves on instead of waiting, and finds it no longer due once that node
 * commits its fires and the advanced `next_fire_at`. Undefined when not due (or taken).
 */
export async function lockDueSchedule(db: Queryable, id: string): Promise<DueScheduleRow | undefined> {
  const { rows } = await db.query<DueScheduleRow>(
    `SELECT s.*, LOCALTIMESTAMP AS db_now, COALESCE(u.is_active, true) AS owner_active
     FROM schedules s LEFT JOIN users u ON u.id = s.created_by
     WHERE s.id = $1 AND s.enabled AND s.next_fire_at <= LOCALTIMESTAMP
     FOR UPDATE OF s SKIP LOCKED`,
    [id],
    { prepare: true },
  );
  return rows[0];
}
