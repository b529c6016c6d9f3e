import type { Queryable } from '../../../db/index.js';

/**
 * Extends the leases of every task this node runs, in one statement per renewal interval rather
 * than one per task. What comes back also tells the node which tasks were cancelled meanwhile
 * (`cancel_requested`, a fallback when the NOTIFY was missed) and, by absence, which leases it lost.
 */
export async function renewLeases(
  db: Queryable,
  owner: string,
  ids: string[],
  leaseSeconds: number,
): Promise<Array<{ id: string; cancel_requested: boolean }>> {
  const { rows } = await db.query<{ id: string; cancel_requested: boolean }>(
    `UPDATE tasks SET lease_expires_at = CURRENT_TIMESTAMP + make_interval(secs => $3::float8)
     WHERE id = ANY($1::uuid[]) AND lease_owner = $2 AND status = 'running'
     RETURNING id, cancel_requested`,
    [ids, owner, leaseSeconds],
    { prepare: true },
  );
  return rows;
}
