import type { Queryable } from '../../../db/index.js';

/**
 * Keeps a running task's conversation (a model turn answered, its tool calls about to run).
 * `lease_owner = $2`: a worker that lost its lease cannot overwrite the new owner's progress.
 */
export async function saveCheckpoint(
  db: Queryable,
  id: string,
  owner: string,
  checkpoint: unknown,
): Promise<void> {
  await db.query(
    `UPDATE tasks SET checkpoint = $3 WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
    [id, owner, JSON.stringify(checkpoint)],
    { prepare: true },
  );
}
