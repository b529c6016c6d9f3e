import type { Queryable } from '../db/index.js';
import type { Page, PageRequest, Task, TaskStatus } from '../domain.js';
import { AppError, conflict, notFound, translateDbError } from '../errors.js';
import { asJsonObject, isUuid, selectPage, Where } from './sql.js';

export interface TaskRow {
  id: string;
  task_id: string;
  agent_id: string | null;
  /** The agent's human handle, copied on insert (migration 036). */
  agent_handle: string | null;
  type: string;
  status: TaskStatus;
  priority: number;
  input: unknown;
  output: unknown;
  error: string | null;
  metadata: Record<string, unknown> | null;
  started_at: Date | null;
  completed_at: Date | null;
  created_at: Date;
  retry_count: number;
  max_retries: number;
  timeout_seconds: number;
  created_by: string | null;
  parent_task_id: string | null;
  run_at: Date;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  cancel_requested: boolean;
  thread_id?: string | null;
  /** W3C trace context of the submit (migration 037): the run joins the submitter's trace. */
  traceparent?: string | null;
  /** The conversation so far of a task that waited (SPEC §11); read by the worker only. */
  checkpoint?: unknown;
}

export function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    taskId: row.task_id,
    agentId: row.agent_handle ?? null,
    agentUuid: row.agent_id,
    type: row.type,
    status: row.status,
    priority: row.priority,
    input: asJsonObject(row.input),
    output: row.output == null ? null : asJsonObject(row.output),
    error: row.error,
    metadata: row.metadata ?? {},
    startedAt: row.started_at,
    completedAt: row.completed_at,
    createdAt: row.created_at,
    retryCount: row.retry_count,
    maxRetries: row.max_retries,
    timeoutSeconds: row.timeout_seconds,
    createdBy: row.created_by ?? null,
    parentTaskId: row.parent_task_id ?? null,
    runAt: row.run_at,
    leaseOwner: row.lease_owner ?? null,
    leaseExpiresAt: row.lease_expires_at ?? null,
    cancelRequested: row.cancel_requested ?? false,
    threadId: row.thread_id ?? null,
  };
}

export interface NewTask {
  taskId: string;
  /** agents.id (UUID). */
  agentId: string;
  type?: string;
  priority?: number;
  input: unknown;
  metadata?: Record<string, unknown>;
  maxRetries?: number;
  timeoutSeconds?: number;
}

export interface TaskFilters extends PageRequest {
  status?: TaskStatus;
  /** agents.id (UUID). */
  agentId?: string;
  /** Only tasks this user submitted (a `user` sees only their own). */
  createdBy?: string;
  /** Children of this task (tasks.id). */
  parentTaskId?: string;
  /** Created at or after / before (ISO timestamps). */
  from?: string;
  to?: string;
}

const taskNotFound = () => notFound('Task', 'TASK_NOT_FOUND');

export class TaskRepository {
  constructor(private readonly db: Queryable) {}

  async create(data: NewTask): Promise<Task> {
    try {
      const { rows } = await this.db.query<TaskRow>(
        `INSERT INTO tasks (task_id, agent_id, type, priority, input, metadata, max_retries, timeout_seconds)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
        [
          data.taskId,
          data.agentId,
          data.type ?? 'execute',
          data.priority ?? 5,
          JSON.stringify(data.input),
          JSON.stringify(data.metadata ?? {}),
          data.maxRetries ?? 3,
          data.timeoutSeconds ?? 300,
        ],
      );
      return toTask(rows[0]);
    } catch (error) {
      translateDbError(error, () => conflict(`Task ${data.taskId} already exists`, 'TASK_EXISTS'));
    }
  }

  async findById(id: string): Promise<Task> {
    if (!isUuid(id)) throw taskNotFound();
    const { rows } = await this.db.query<TaskRow>('SELECT * FROM tasks WHERE id = $1', [id]);
    if (!rows[0]) throw taskNotFound();
    return toTask(rows[0]);
  }

  async findByTaskId(taskId: string): Promise<Task> {
    const { rows } = await this.db.query<TaskRow>('SELECT * FROM tasks WHERE task_id = $1', [taskId]);
    if (!rows[0]) throw taskNotFound();
    return toTask(rows[0]);
  }

  /** The seed's queue order: highest priority first, then oldest. */
  async findByStatus(status: TaskStatus, limit = 10): Promise<Task[]> {
    const { rows } = await this.db.query<TaskRow>(
      'SELECT * FROM tasks WHERE status = $1 ORDER BY priority DESC, created_at ASC LIMIT $2',
      [status, limit],
    );
    return rows.map(toTask);
  }

  list(filters: TaskFilters = {}): Promise<Page<Task>> {
    const where = new Where()
      .add('status = ?', filters.status)
      .add('agent_id = ?', filters.agentId)
      .add('created_by = ?', filters.createdBy)
      .add('parent_task_id = ?', filters.parentTaskId)
      .add('created_at >= ?::timestamptz', filters.from)
      .add('created_at < ?::timestamptz', filters.to);
    return selectPage(this.db, 'tasks', where, 'created_at DESC, id', filters, toTask);
  }

  /**
   * Sets `started_at` on the first `running`, `completed_at` on every terminal state (the seed
   * forgot `cancelled`).
   */
  async updateStatus(id: string, status: TaskStatus, updates: { output?: unknown; error?: string } = {}) {
    const { rows } = await this.db.query<TaskRow>(
      `UPDATE tasks SET status = $2::varchar,
         started_at = CASE WHEN $2::varchar = 'running' THEN COALESCE(started_at, CURRENT_TIMESTAMP) ELSE started_at END,
         completed_at = CASE WHEN $2::varchar IN ('completed', 'failed', 'cancelled') THEN CURRENT_TIMESTAMP ELSE completed_at END,
         output = COALESCE($3::jsonb, output),
         error = COALESCE($4::text, error)
       WHERE id = $1 RETURNING *`,
      [
        id,
        status,
        updates.output === undefined ? null : JSON.stringify(updates.output),
        updates.error ?? null,
      ],
    );
    if (!rows[0]) throw taskNotFound();
    return toTask(rows[0]);
  }

  async incrementRetry(id: string): Promise<Task> {
    const { rows } = await this.db.query<TaskRow>(
      'UPDATE tasks SET retry_count = retry_count + 1 WHERE id = $1 RETURNING *',
      [id],
    );
    if (!rows[0]) throw taskNotFound();
    return toTask(rows[0]);
  }

  static canRetry(task: Pick<Task, 'retryCount' | 'maxRetries'>): boolean {
    return task.retryCount < task.maxRetries;
  }

  async countByStatus(): Promise<Record<TaskStatus, number>> {
    const { rows } = await this.db.query<{ status: TaskStatus; n: number }>(
      'SELECT status, count(*)::int AS n FROM tasks GROUP BY status',
    );
    const counts = { pending: 0, running: 0, waiting: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const r of rows) counts[r.status] = r.n;
    return counts;
  }
}

export function assertTaskStatus(status: string): asserts status is TaskStatus {
  if (!['pending', 'running', 'waiting', 'completed', 'failed', 'cancelled'].includes(status)) {
    throw new AppError(`Unknown task status ${status}`, 400, 'VALIDATION_ERROR');
  }
}
