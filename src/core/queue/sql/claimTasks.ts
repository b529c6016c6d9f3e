import type { Queryable } from '../../../db/index.js';
import type { TaskRow } from '../../../repositories/tasks.js';

export interface ClaimRequest {
  limit: number;
  leaseSeconds: number;
  /** Agents at their `maxConcurrency` on this node: their tasks are left for later. */
  excludedAgents: string[];
}

/** UPDATE … RETURNING does not keep the CTE's order; this restores queue order. */
function inQueueOrder(rows: TaskRow[]): TaskRow[] {
  return rows.sort((a, b) => b.priority - a.priority || a.created_at.getTime() - b.created_at.getTime());
}

/**
 * Claims up to `limit` due pending tasks for `owner` as leases, in queue order, in one statement.
 *
 * `FOR UPDATE SKIP LOCKED` lets many workers claim at once without blocking one another or taking
 * the same row: a row another transaction is claiming is simply passed over. The partial index
 * `idx_tasks_claim_due` (migration 024) serves the ORDER BY over pending rows only and checks
 * `run_at` on the index entry, so tasks in retry back-off are skipped without a heap visit.
 */
export async function claimTasks(db: Queryable, owner: string, claim: ClaimRequest): Promise<TaskRow[]> {
  const { rows } = await db.query<TaskRow>(
    `WITH candidates AS (
       SELECT id FROM tasks
       WHERE status = 'pending' AND run_at <= CURRENT_TIMESTAMP
         AND NOT (agent_id = ANY($4::uuid[]))
       ORDER BY priority DESC, created_at ASC
       LIMIT $2
       FOR UPDATE SKIP LOCKED
     ), claimed AS (
       UPDATE tasks t
       SET status = 'running', lease_owner = $1,
           lease_expires_at = CURRENT_TIMESTAMP + make_interval(secs => $3::float8),
           started_at = COALESCE(t.started_at, CURRENT_TIMESTAMP)
       FROM candidates c
       WHERE t.id = c.id
       RETURNING t.*
     )
     SELECT * FROM claimed`,
    [owner, claim.limit, claim.leaseSeconds, claim.excludedAgents],
    { prepare: true },
  );
  return inQueueOrder(rows);
}
