import type { Queryable } from '../../../db/index.js';
import { AUDIT_INSERT_COLUMNS } from '../../../repositories/auditLogs.js';
import type { TaskRow } from '../../../repositories/tasks.js';

export interface InsertTaskParams {
  taskId: string;
  agentUuid: string;
  type: string;
  priority: number;
  input: unknown;
  metadata: Record<string, unknown>;
  maxRetries: number;
  timeoutSeconds: number;
  createdBy: string | null;
  parentTaskId: string | null;
  /** W3C trace context of the submit span (migration 037); null with tracing off. */
  traceparent?: string | null;
  /**
   * The audit row's parameters (`AuditService.rowValues`): inserted by the same statement, only
   * when the task is, so the task and its audit row share one commit (one WAL flush per submit).
   */
  audit?: unknown[];
}

/**
 * Inserts a task. `ON CONFLICT DO NOTHING` makes a client's `taskId` idempotent: a resubmission
 * inserts nothing (and the caller reads the existing row), so a task can never be queued twice.
 * Workers are woken afterwards by `WakeNotifier`, not here: a NOTIFY in this statement made every
 * submit's commit take PostgreSQL's one notify-queue lock (a database-wide lock held through the
 * commit's WAL flush) — `Lock:object` waits in pg_stat_activity during bench:api.
 */
export async function insertTask(db: Queryable, p: InsertTaskParams): Promise<TaskRow | undefined> {
  const insert = `INSERT INTO tasks (task_id, agent_id, type, priority, input, metadata, max_retries,
                        timeout_seconds, created_by, parent_task_id, traceparent)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (task_id) DO NOTHING
     RETURNING *`;
  const params = [
    p.taskId,
    p.agentUuid,
    p.type,
    p.priority,
    JSON.stringify(p.input),
    JSON.stringify(p.metadata),
    p.maxRetries,
    p.timeoutSeconds,
    p.createdBy,
    p.parentTaskId,
    p.traceparent ?? null,
  ];
  const { rows } = p.audit
    ? await db.query<TaskRow>(
        `WITH task AS (${insert}), audit AS (
           INSERT INTO audit_logs (${AUDIT_INSERT_COLUMNS})
           SELECT $12::uuid, $13, $14, $15, $16::jsonb, $17::inet, $18, $19::timestamp FROM task
         )
         SELECT * FROM task`,
        [...params, ...p.audit],
        { prepare: true },
      )
    : await db.query<TaskRow>(insert, params, { prepare: true });
  return rows[0];
}
