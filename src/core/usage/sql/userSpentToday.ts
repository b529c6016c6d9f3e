import type { Queryable } from '../../../db/index.js';

/**
 * USD a user's attempts cost since the start of the current UTC day: one row of
 * `usage_user_daily` (migration 039), which the statements recording priced attempts keep.
 */
export async function userSpentToday(db: Queryable, userId: string): Promise<number> {
  const { rows } = await db.query<{ spent: number }>(
    `SELECT cost_usd AS spent FROM usage_user_daily WHERE user_id = $1 AND day = CAST(LOCALTIMESTAMP AS DATE)`,
    [userId],
  );
  return Number(rows[0]?.spent ?? 0);
}
