import type { Queryable } from '../../../db/index.js';
import type { TaskRow } from '../../../repositories/tasks.js';

export interface AttemptRecord {
  executionId: string;
  output: string | null;
  tokensUsed: number | null;
  executionTimeMs: number;
}

export interface Completion extends AttemptRecord {
  id: string;
  /** The task's `output` (`{text, toolCalls?, usage}`). */
  result: unknown;
}

/**
 * Marks tasks completed and records their attempts, atomically, in one statement for a whole
 * batch: the data-modifying CTE writes the `agent_executions` rows in the same transaction as the
 * state change (SPEC §5). Completing a batch costs one round trip and one commit (one WAL flush)
 * instead of one per task — the queue benchmark's jobs/s went from ~390 to the figure in
 * docs/BENCHMARKS.md with this change (graphile-worker batches completions the same way).
 * `lease_owner = $2` makes a worker whose lease was taken back unable to overwrite the new owner's
 * work: its tasks are simply not in the answer.
 */
export async function completeTasks(db: Queryable, owner: string, batch: Completion[]): Promise<TaskRow[]> {
  const { rows } = await db.query<TaskRow>(
    `WITH input AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb)
         AS i(id uuid, result jsonb, execution_id text, output text, tokens_used int, execution_time_ms int)
     ), done AS (
       UPDATE tasks t
       SET status = 'completed', output = i.result, error = NULL, completed_at = CURRENT_TIMESTAMP,
           lease_owner = NULL, lease_expires_at = NULL
       FROM input i
       WHERE t.id = i.id AND t.status = 'running' AND t.lease_owner = $2
       RETURNING t.*
     ), attempt AS (
       INSERT INTO agent_executions (execution_id, agent_id, task_id, input, output, tokens_used,
                                     execution_time_ms, status)
       SELECT i.execution_id, done.agent_id, done.id, done.input::text, i.output, i.tokens_used,
              i.execution_time_ms, 'success'
       FROM done JOIN input i ON i.id = done.id
     )
     SELECT * FROM done`,
    [
      JSON.stringify(
        batch.map((c) => ({
          id: c.id,
          result: c.result,
          execution_id: c.executionId,
          output: c.output,
          tokens_used: c.tokensUsed,
          execution_time_ms: c.executionTimeMs,
        })),
      ),
      owner,
    ],
  );
  return rows;
}
