import type { Queryable } from '../../../db/index.js';

/**
 * Takes the thread's row lock for the rest of the transaction: every change to which of its
 * tasks runs next (submit, promotion, completion with its appended turn) happens under it.
 * Returns how many of its tasks are active (pending or running), or undefined for no thread.
 */
export async function lockThread(tx: Queryable, threadId: string): Promise<{ active: number } | undefined> {
  const { rows } = await tx.query<{ id: string }>('SELECT id FROM threads WHERE id = $1 FOR UPDATE', [
    threadId,
  ]);
  if (!rows[0]) return undefined;
  const { rows: counts } = await tx.query<{ n: string }>(
    `SELECT count(*) AS n FROM tasks WHERE thread_id = $1 AND status IN ('pending', 'running', 'waiting')`,
    [threadId],
  );
  return { active: Number(counts[0].n) };
}

/** The thread's active tasks (pending, parked or running), oldest first. */
export async function activeThreadTasks(db: Queryable, threadId: string): Promise<string[]> {
  const { rows } = await db.query<{ task_id: string }>(
    `SELECT task_id FROM tasks WHERE thread_id = $1 AND status IN ('pending', 'running', 'waiting') ORDER BY created_at`,
    [threadId],
  );
  return rows.map((r) => r.task_id);
}
