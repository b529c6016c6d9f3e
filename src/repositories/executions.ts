import type { Queryable } from '../db/index.js';
import type { Execution, ExecutionStatus, Page, PageRequest } from '../domain.js';
import { selectPage, Where } from './sql.js';

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
}

export function toExecution(row: ExecutionRow): Execution {
  return {
    id: row.id,
    executionId: row.execution_id,
    agentId: row.agent_id,
    taskId: row.task_id,
    input: row.input,
    output: row.output,
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
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
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
      'SELECT * FROM agent_executions WHERE task_id = $1 ORDER BY created_at ASC, id',
      [taskUuid],
    );
    return rows.map(toExecution);
  }

  list(filters: { agentId?: string; status?: ExecutionStatus } & PageRequest = {}): Promise<Page<Execution>> {
    const where = new Where().add('agent_id = ?', filters.agentId).add('status = ?', filters.status);
    return selectPage(this.db, 'agent_executions', where, 'created_at DESC, id', filters, toExecution);
  }
}
