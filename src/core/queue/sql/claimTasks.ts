import type { Queryable } from '../../../db/index.js';
import type { TaskRow } from '../../../repositories/tasks.js';

/**
 * Claims up to `limit` due pending tasks for `owner` as leases, in queue order.
 *
 * `FOR UPDATE SKIP LOCKED` lets many workers claim at once without blocking one another or
 * taking the same row: a row another transaction is claiming is simply passed over. The claim and
 * the state change are one statement (one round trip), and a batch amortises it over several
 * tasks — the queue benchmark (docs/BENCHMARKS.md) showed the per-task round trip dominating.
 * The partial index `idx_tasks_claim` serves the ORDER BY over pending rows only.
 * `excludedAgents` holds agents at their `maxConcurrency` on this node.
 */
export async function claimTasks(
  db: Queryable,
  owner: string,
  limit: number,
  leaseSeconds: number,
  excludedAgents: string[],
): Promise<TaskRow[]> {
  const { rows } = await db.query<TaskRow>(
    `WITH candidates AS (
       SELECT id FROM tasks
       WHERE status = 'pending' AND run_at <= CURRENT_TIMESTAMP
         AND NOT (agent_id = ANY($4::uuid[]))
       ORDER BY priority DESC, created_at ASC
       LIMIT $2
       FOR UPDATE SKIP LOCKED
     )
     UPDATE tasks t
     SET status = 'running', lease_owner = $1,
         lease_expires_at = CURRENT_TIMESTAMP + make_interval(secs => $3::float8),
         started_at = COALESCE(t.started_at, CURRENT_TIMESTAMP)
     FROM candidates c
     WHERE t.id = c.id
     RETURNING t.*`,
    [owner, limit, leaseSeconds, excludedAgents],
  );
  // UPDATE … RETURNING does not keep the CTE's order; restore it so tasks start in queue order.
  return rows.sort((a, b) => b.priority - a.priority || a.created_at.getTime() - b.created_at.getTime());
}
