import type { Queryable } from '../../../db/index.js';
import type { ScheduleRow } from '../../../repositories/schedules.js';

export interface UpcomingSchedule extends ScheduleRow {
  due: boolean;
  /** Milliseconds until it is due (≤ 0 when due), by the database's clock. */
  in_ms: number;
}

/**
 * The enabled schedules that fire soonest, due ones first: what a scheduler pass works on, and how
 * long it may sleep afterwards. A short range of the partial `idx_schedules_due` index, so the
 * poll costs the same with ten schedules or a million. Times are the database's, never a node's:
 * nodes with skewed clocks still agree on what is due.
 */
export async function nextSchedules(db: Queryable, limit: number): Promise<UpcomingSchedule[]> {
  const { rows } = await db.query<UpcomingSchedule>(
    `SELECT *, next_fire_at <= LOCALTIMESTAMP AS due,
            (EXTRACT(EPOCH FROM (next_fire_at - LOCALTIMESTAMP)) * 1000)::float8 AS in_ms
     FROM schedules WHERE enabled AND next_fire_at IS NOT NULL
     ORDER BY next_fire_at LIMIT $1`,
    [limit],
    { prepare: true },
  );
  return rows;
}
