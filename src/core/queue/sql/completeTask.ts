import type { Queryable } from '../../../db/index.js';
import type { TaskRow } from '../../../repositories/tasks.js';

export interface AttemptRecord {
  executionId: string;
  output: string | null;
  tokensUsed: number | null;
  executionTimeMs: number;
}

/**
 * Marks a task completed and records the attempt, atomically, in one statement: the data-modifying
 * CTE writes the `agent_executions` row in the same transaction as the state change (SPEC §5).
 * `lease_owner = $2` makes a worker whose lease was taken back (it stalled past the expiry) unable
 * to overwrite the new owner's work: it gets no row and discards its result.
 */
export async function completeTask(
  db: Queryable,
  id: string,
  owner: string,
  output: unknown,
  attempt: AttemptRecord,
): Promise<TaskRow | undefined> {
  const { rows } = await db.query<TaskRow>(
    `WITH done AS (
       UPDATE tasks
       SET status = 'completed', output = $3::jsonb, error = NULL, completed_at = CURRENT_TIMESTAMP,
           lease_owner = NULL, lease_expires_at = NULL
       WHERE id = $1 AND status = 'running' AND lease_owner = $2
       RETURNING *
     ), attempt AS (
       INSERT INTO agent_executions (execution_id, agent_id, task_id, input, output, tokens_used,
                                     execution_time_ms, status)
       SELECT $4, done.agent_id, done.id, done.input::text, $5, $6, $7, 'success' FROM done
     )
     SELECT * FROM done`,
    [
      id,
      owner,
      JSON.stringify(output),
      attempt.executionId,
      attempt.output,
      attempt.tokensUsed,
      attempt.executionTimeMs,
    ],
  );
  return rows[0];
}
