import type { Queryable } from '../db/index.js';
import { TASK_STATUSES, type TaskStatus } from '../domain.js';

/**
 * Tasks per status for `/metrics`, at a cost that does not grow with the table (SPEC §14/§15):
 * each status is counted exactly through `idx_tasks_status` up to `cap` rows (an index range read
 * that stops at the cap), and past the cap the planner's estimate (row count from the last
 * ANALYZE × the status's frequency in `pg_stats`) is answered instead. Queue depths in the
 * thousands stay exact; a table of 10 million finished tasks costs one bounded read per status.
 */
export const EXACT_COUNT_CAP = 10_000;

export async function countTasksByStatus(
  db: Queryable,
  cap = EXACT_COUNT_CAP,
  statuses: readonly string[] = TASK_STATUSES,
): Promise<Record<string, number>> {
  const { rows } = await db.query<{ status: string; n: number }>(
    `SELECT s.status, (SELECT count(*) FROM (SELECT 1 FROM tasks t WHERE t.status = s.status LIMIT $1) c)::int AS n
     FROM unnest($2::text[]) AS s(status)`,
    [cap + 1, statuses],
  );
  const counts: Record<string, number> = Object.fromEntries(rows.map((r) => [r.status, r.n]));
  const over = rows.filter((r) => r.n > cap).map((r) => r.status);
  if (over.length) {
    const estimates = await estimateTasksByStatus(db);
    for (const status of over) counts[status] = Math.max(cap + 1, Math.round(estimates[status] ?? 0));
  }
  return counts;
}

/** The planner's statistics: no table access at all. Empty until the table was analysed. */
async function estimateTasksByStatus(db: Queryable): Promise<Partial<Record<TaskStatus | string, number>>> {
  const { rows } = await db.query<{ total: number; vals: string | null; freqs: number[] | null }>(
    `SELECT c.reltuples::float8 AS total, s.most_common_vals::text AS vals, s.most_common_freqs AS freqs
     FROM pg_class c
     LEFT JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = 'tasks' AND s.attname = 'status'
     WHERE c.oid = to_regclass('tasks')`,
  );
  const row = rows[0];
  if (!row?.vals || !row.freqs || row.total <= 0) return {};
  // Statuses are plain words, so the array's text form is `{pending,completed,…}` without quotes.
  const vals = row.vals.slice(1, -1).split(',');
  return Object.fromEntries(vals.map((v, i) => [v, row.total * Number(row.freqs?.[i] ?? 0)]));
}
