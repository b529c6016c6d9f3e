import type { Queryable } from '../db/index.js';
import type { Execution, ExecutionStatus } from '../domain.js';
import { asJsonObject } from './sql.js';

export interface ExecutionRow {
  id: string;
  execution_id: string;
  agent_id: string | null;
  task_id: string | null;
  input: string;
  output: string | null;
  tokens_used: number | null;
  execution_time_ms: number | null;
  status: ExecutionStatus;
  error_message: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_usd: number | null;
  created_at: Date;
  /** From the task (joined on read): its human id and its agent's handle. */
  task_handle?: string | null;
  agent_handle?: string | null;
}

export function toExecution(row: ExecutionRow): Execution {
  return {
    id: row.id,
    executionId: row.execution_id,
    agentId: row.agent_handle ?? null,
    agentUuid: row.agent_id,
    taskId: row.task_handle ?? null,
    taskUuid: row.task_id,
    input: asJsonObject(row.input),
    output: row.output === null ? null : asJsonObject(row.output),
    tokensUsed: row.tokens_used,
    executionTimeMs: row.execution_time_ms,
    status: row.status,
    errorMessage: row.error_message,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costUsd: row.cost_usd,
    createdAt: row.created_at,
  };
}

export interface NewExecution {
  executionId: string;
  agentId: string | null;
  taskId: string;
  /** Serialised as text, as the seed's column is TEXT. */
  input: string;
  output?: string | null;
  tokensUsed?: number | null;
  executionTimeMs?: number | null;
  status: ExecutionStatus;
  errorMessage?: string | null;
}

export class ExecutionRepository {
  constructor(private readonly db: Queryable) {}

  async create(e: NewExecution): Promise<Execution> {
    const { rows } = await this.db.query<ExecutionRow>(
      `INSERT INTO agent_executions (execution_id, agent_id, task_id, input, output, tokens_used, execution_time_ms,
                                     status, error_message)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       RETURNING *, (SELECT t.task_id FROM tasks t WHERE t.id = $3) AS task_handle,
                    (SELECT t.agent_handle FROM tasks t WHERE t.id = $3) AS agent_handle`,
      [
        e.executionId,
        e.agentId,
        e.taskId,
        e.input,
        e.output ?? null,
        e.tokensUsed ?? null,
        e.executionTimeMs ?? null,
        e.status,
        e.errorMessage ?? null,
      ],
    );
    return toExecution(rows[0]);
  }

  /** Every attempt of one task (tasks.id), oldest first. */
  async findByTask(taskUuid: string): Promise<Execution[]> {
    const { rows } = await this.db.query<ExecutionRow>(
      `SELECT e.*, t.task_id AS task_handle, t.agent_handle
       FROM agent_executions e JOIN tasks t ON t.id = e.task_id
       WHERE e.task_id = $1 ORDER BY e.created_at ASC, e.id`,
      [taskUuid],
    );
    return rows.map(toExecution);
  }
}
