import type { Queryable } from '../../../db/index.js';

/** Links a recorded fire to what it created, or marks it failed with the target's refusal. */
export async function settleFire(
  db: Queryable,
  fireId: string,
  outcome: { taskUuid?: string; runId?: string; error?: string },
): Promise<void> {
  await db.query(
    `UPDATE schedule_fires
     SET task_id = $2, run_id = $3, error = $4, status = CASE WHEN $4::text IS NULL THEN status ELSE 'failed' END
     WHERE id = $1`,
    [fireId, outcome.taskUuid ?? null, outcome.runId ?? null, outcome.error ?? null],
    { prepare: true },
  );
}
