import type { Queryable } from '../../../db/index.js';
import type { TaskRow } from '../../../repositories/tasks.js';
import type { Usage } from '../../providers/types.js';
import { addUserSpend, attemptCostUsd } from '../../queue/sql/attemptCost.js';
import type { Completion } from '../../queue/sql/completeTasks.js';

/**
 * Completes one thread task and records its attempt (as `completeTasks` does for a batch: tokens
 * in and out, and the cost at the agent's model's prices), inside the transaction that appends the
 * turn: the turn is in the thread exactly when the task is completed. `lease_owner = $2`: a worker
 * whose lease was taken back changes nothing.
 */
export async function completeThreadTask(
  tx: Queryable,
  owner: string,
  c: Completion,
): Promise<TaskRow | undefined> {
  const usage = (c.result as { usage?: Usage } | null)?.usage;
  const { rows } = await tx.query<TaskRow>(
    `WITH done AS (
       UPDATE tasks
       SET status = 'completed', output = $3, error = NULL, completed_at = CURRENT_TIMESTAMP,
           lease_owner = NULL, lease_expires_at = NULL
       WHERE id = $1 AND status = 'running' AND lease_owner = $2
       RETURNING *
     ), priced AS (
       SELECT done.agent_id, done.id AS task_id, done.input::text AS task_input, done.created_by,
              ${attemptCostUsd('done.agent_id', '$8::int', '$9::int')} AS cost
       FROM done
     ), attempt AS (
       INSERT INTO agent_executions (execution_id, agent_id, task_id, input, output, tokens_used,
                                     execution_time_ms, status, input_tokens, output_tokens, cost_usd)
       SELECT $4, agent_id, task_id, task_input, $5, $6, $7, 'success', $8::int, $9::int, cost FROM priced
     ), spend AS (
       ${addUserSpend('priced')}
     )
     SELECT * FROM done`,
    [
      c.id,
      owner,
      JSON.stringify(c.result),
      c.executionId,
      c.output,
      c.tokensUsed,
      c.executionTimeMs,
      usage?.promptTokens ?? null,
      usage?.completionTokens ?? null,
    ],
  );
  return rows[0];
}
