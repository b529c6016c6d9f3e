import type { Queryable } from '../../../db/index.js';

/**
 * USD an agent's attempts cost since the start of the current UTC day (sessions run in UTC, so
 * `date_trunc('day', LOCALTIMESTAMP)` is UTC midnight). One range of the (agent_id, created_at) index.
 */
export async function agentSpentToday(db: Queryable, agentUuid: string): Promise<number> {
  const { rows } = await db.query<{ spent: number }>(
    `SELECT COALESCE(SUM(cost_usd), 0)::float8 AS spent FROM agent_executions
     WHERE agent_id = $1 AND created_at >= date_trunc('day', LOCALTIMESTAMP)`,
    [agentUuid],
  );
  return Number(rows[0]?.spent ?? 0);
}
