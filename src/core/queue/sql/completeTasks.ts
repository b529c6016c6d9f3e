import type { Queryable } from '../../../db/index.js';
import type { TaskRow } from '../../../repositories/tasks.js';
import type { Usage } from '../../providers/types.js';
import { attemptCostUsd } from './attemptCost.js';
import { type ClaimRequest, claimCtes, inQueueOrder } from './claimTasks.js';

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
 * Marks a batch of tasks completed, records their attempts, and claims tasks for the slots they
 * free — one statement, one round trip, one commit (one WAL flush) for all of it:
 * - the data-modifying CTEs write the `agent_executions` rows in the same transaction as the
 *   state change (SPEC §5);
 * - `lease_owner = $2` makes a worker whose lease was taken back unable to overwrite the new
 *   owner's work: its tasks are simply not among the completed rows;
 * - the claim reads pending rows only, so it never meets the rows being completed.
 * Per task this replaced two commits (complete, then claim) by a fraction of one: the queue
 * benchmark's jobs/s roughly doubled (docs/BENCHMARKS.md).
 *
 * `t.id = ANY($6)` is there for the planner: joined only to `jsonb_to_recordset` (guessed at 100
 * rows), it found the rows through the partial index of running tasks instead of the primary
 * key — a scan over every dead index entry of tasks completed since the last vacuum (4,706
 * entries for one completion in the benchmark's EXPLAIN ANALYZE).
 */
export async function completeTasks(
  db: Queryable,
  owner: string,
  batch: Completion[],
  claim: ClaimRequest,
): Promise<{ completed: TaskRow[]; claimed: TaskRow[] }> {
  const { rows } = await db.query<TaskRow & { kind: 'completed' | 'claimed' }>(
    `WITH input AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb)
         AS i(id uuid, result jsonb, execution_id text, output text, tokens_used int, execution_time_ms int,
              input_tokens int, output_tokens int)
     ), done AS (
       UPDATE tasks t
       SET status = 'completed', output = i.result, error = NULL, completed_at = CURRENT_TIMESTAMP,
           lease_owner = NULL, lease_expires_at = NULL
       FROM input i
       WHERE t.id = i.id AND t.lease_owner = $2 AND NOT (t.status IS DISTINCT FROM 'running')
       RETURNING t.*
     ), attempt AS (
       INSERT INTO agent_executions (execution_id, agent_id, task_id, input, output, tokens_used,
                                     execution_time_ms, status, input_tokens, output_tokens, cost_usd)
       SELECT i.execution_id, done.agent_id, done.id, done.input::text, i.output, i.tokens_used,
              i.execution_time_ms, 'success', i.input_tokens, i.output_tokens,
              ${attemptCostUsd('done.agent_id', 'i.input_tokens', 'i.output_tokens')}
       FROM done JOIN input i ON i.id = done.id
     ), ${claimCtes('$2', '$3', '$4', '$5')}
     SELECT 'completed' AS kind, done.* FROM done
     UNION ALL
     SELECT 'claimed' AS kind, claimed.* FROM claimed`,
    [
      JSON.stringify(
        batch.map((c) => ({
          id: c.id,
          result: c.result,
          execution_id: c.executionId,
          output: c.output,
          tokens_used: c.tokensUsed,
          execution_time_ms: c.executionTimeMs,
          input_tokens: usageOf(c.result)?.promptTokens ?? null,
          output_tokens: usageOf(c.result)?.completionTokens ?? null,
        })),
      ),
      owner,
      claim.limit,
      claim.leaseSeconds,
      claim.excludedAgents,
    ],
    { prepare: true },
  );
  return {
    completed: rows.filter((r) => r.kind === 'completed'),
    claimed: inQueueOrder(rows.filter((r) => r.kind === 'claimed')),
  };
}

/** The provider's token counts, carried in the task's output (`{text, usage}`). */
const usageOf = (result: unknown): Usage | undefined => (result as { usage?: Usage } | null)?.usage;
