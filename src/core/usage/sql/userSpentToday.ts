import type { Queryable } from '../../../db/index.js';

/**
 * USD the tasks a user owns cost since the start of the current UTC day: today's attempts (the
 * created_at index) joined to their tasks' owner. Fired schedule tasks belong to the schedule's
 * owner, so they count here too.
 */
export async function userSpentToday(db: Queryable, userId: string): Promise<number> {
  const { rows } = await db.query<{ spent: number }>(
    `SELECT COALESCE(SUM(e.cost_usd), 0)::float8 AS spent
     FROM agent_executions e JOIN tasks t ON t.id = e.task_id
     WHERE t.created_by = $1 AND e.created_at >= date_trunc('day', LOCALTIMESTAMP)`,
    [userId],
  );
  return Number(rows[0]?.spent ?? 0);
}
