import type { Queryable } from '../../../db/index.js';
import type { TaskRow } from '../../../repositories/tasks.js';

export interface ClaimRequest {
  limit: number;
  leaseSeconds: number;
  /** Agents at their `maxConcurrency` on this node: their tasks are left for later. */
  excludedAgents: string[];
}

/**
 * The claim, as two CTEs (`candidates`, `claimed`) other statements can embed — completion
 * embeds it to hand a finished batch's slots to new tasks in the same round trip. `$n` are the
 * parameter numbers of owner, limit, lease seconds and excluded agents.
 *
 * `FOR UPDATE SKIP LOCKED` lets many workers claim at once without blocking one another or taking
 * the same row: a row another transaction is claiming is simply passed over. The partial index
 * `idx_tasks_claim_due` (migration 024) serves the ORDER BY over pending rows only and checks
 * `run_at` on the index entry, so tasks in retry back-off are skipped without a heap visit.
 */
export function claimCtes(owner: string, limit: string, lease: string, excluded: string): string {
  return `candidates AS (
       SELECT id FROM tasks
       WHERE status = 'pending' AND run_at <= CURRENT_TIMESTAMP
         AND NOT (agent_id = ANY(${excluded}::uuid[]))
       ORDER BY priority DESC, created_at ASC
       LIMIT ${limit}
       FOR UPDATE SKIP LOCKED
     ), claimed AS (
       UPDATE tasks t
       SET status = 'running', lease_owner = ${owner},
           lease_expires_at = CURRENT_TIMESTAMP + make_interval(secs => ${lease}::float8),
           started_at = COALESCE(t.started_at, CURRENT_TIMESTAMP)
       FROM candidates c
       WHERE t.id = c.id
       RETURNING t.*
     )`;
}

/** UPDATE … RETURNING does not keep the CTE's order; this restores queue order. */
export function inQueueOrder(rows: TaskRow[]): TaskRow[] {
  return rows.sort((a, b) => b.priority - a.priority || a.created_at.getTime() - b.created_at.getTime());
}

/** Claims up to `limit` due pending tasks for `owner` as leases, in queue order, in one statement. */
export async function claimTasks(db: Queryable, owner: string, claim: ClaimRequest): Promise<TaskRow[]> {
  const { rows } = await db.query<TaskRow>(
    `WITH ${claimCtes('$1', '$2', '$3', '$4')} SELECT * FROM claimed`,
    [owner, claim.limit, claim.leaseSeconds, claim.excludedAgents],
    { prepare: true },
  );
  return inQueueOrder(rows);
}
