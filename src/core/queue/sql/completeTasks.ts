import type { Queryable } from '../../../db/index.js';
import type { Task } from '../../../domain.js';
import type { Usage } from '../../providers/types.js';
import { addUserSpend, attemptCostUsd } from './attemptCost.js';

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

/** What the completing statement answers per task completed: the rest the worker knows already. */
export interface CompletedRow {
  id: string;
  completed_at: Date;
}

/**
 * Marks a batch of tasks completed and records their attempts — one statement, one round trip,
 * one commit (one WAL flush) for all of it:
 * - the data-modifying CTEs write the `agent_executions` rows in the same transaction as the
 *   state change (SPEC §5), and add their cost to the owners' spending today (budgets);
 * - `lease_owner = $2` makes a worker whose lease was taken back unable to overwrite the new
 *   owner's work: its tasks are simply not among the completed rows.
 * Only the ids and completion times come back: the worker has the rest of each task (a whole
 * row per task, its input and output included, cost parsing on both sides for nothing).
 * It used to claim new tasks for the freed slots in the same statement; since a slot is freed as
 * soon as its task's execution ends, a claim of its own (while this commits) drains faster
 * (2,842–2,870 vs 2,550–2,574 tasks/s in bench:queue, docs/BENCHMARKS.md).
 *
 * The status check is written `NOT (… IS DISTINCT FROM 'running')` for the planner: as
 * `status = 'running'`, joined only to `jsonb_to_recordset` (guessed at 100 rows), it found the
 * rows through the partial index of running tasks (migration 008) instead of the primary key — a
 * scan over every dead index entry of tasks completed since the last vacuum (4,706 entries for
 * one completion in the benchmark's EXPLAIN ANALYZE). The partial index cannot serve this form.
 */
export async function completeTasks(
  db: Queryable,
  owner: string,
  batch: Completion[],
): Promise<CompletedRow[]> {
  const { rows } = await db.query<CompletedRow>(
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
       RETURNING t.id, t.agent_id, t.input, t.created_by, t.completed_at
     ), priced AS (
       SELECT i.execution_id, done.agent_id, done.id AS task_id, done.input::text AS task_input, i.output,
              i.tokens_used, i.execution_time_ms, i.input_tokens, i.output_tokens, done.created_by,
              ${attemptCostUsd('done.agent_id', 'i.input_tokens', 'i.output_tokens')} AS cost
       FROM done JOIN input i ON i.id = done.id
     ), attempt AS (
       INSERT INTO agent_executions (execution_id, agent_id, task_id, input, output, tokens_used,
                                     execution_time_ms, status, input_tokens, output_tokens, cost_usd)
       SELECT execution_id, agent_id, task_id, task_input, output, tokens_used, execution_time_ms,
              'success', input_tokens, output_tokens, cost
       FROM priced
     ), spend AS (
       ${addUserSpend('priced')}
     )
     SELECT id, completed_at FROM done`,
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
    ],
    { prepare: true },
  );
  return rows;
}

/** The task as the completing statement left it (the statement sends back only what changed). */
export function completedTask(task: Task, completion: Completion, row: CompletedRow): Task {
  return {
    ...task,
    status: 'completed',
    output: completion.result as Task['output'],
    error: null,
    completedAt: row.completed_at,
    leaseOwner: null,
    leaseExpiresAt: null,
  };
}

/** The provider's token counts, carried in the task's output (`{text, usage}`). */
const usageOf = (result: unknown): Usage | undefined => (result as { usage?: Usage } | null)?.usage;
