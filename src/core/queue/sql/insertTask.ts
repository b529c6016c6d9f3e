import type { Queryable } from '../../../db/index.js';
import { AUDIT_INSERT_COLUMNS } from '../../../repositories/auditLogs.js';
import type { TaskRow } from '../../../repositories/tasks.js';

export interface InsertTaskParams {
  taskId: string;
  agentUuid: string;
  /** The agent's handle (`agentId`), stored on the task (migration 036). */
  agentHandle?: string;
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
 * Inserts tasks — one statement and one commit for a whole batch (the submit path batches
 * concurrent submits, `TaskQueue.submit`) — with each task's audit row when it carries one.
 * Answers, per item and in order, the inserted row, or undefined when its `taskId` already
 * existed: `ON CONFLICT DO NOTHING` makes a client's `taskId` idempotent, so a task can never be
 * queued twice, and a row not inserted gets no audit row. Task ids must be distinct within a
 * batch. `agent_handle` is given, so the insert trigger of migration 036 has nothing to look up.
 * Workers are woken afterwards by `WakeNotifier`, not here: a NOTIFY in this statement made every
 * submit's commit take PostgreSQL's one notify-queue lock (a database-wide lock held through the
 * commit's WAL flush) — `Lock:object` waits in pg_stat_activity during bench:api.
 */
export async function insertTasks(
  db: Queryable,
  batch: InsertTaskParams[],
): Promise<Array<TaskRow | undefined>> {
  const { rows } = await db.query<TaskRow>(
    `WITH batch AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS b(
         ord int, task_id text, agent_id uuid, agent_handle text, type text, priority int, input jsonb,
         metadata jsonb, max_retries int, timeout_seconds int, created_by uuid, parent_task_id uuid,
         traceparent text, audit jsonb)
     ), task AS (
       INSERT INTO tasks (task_id, agent_id, agent_handle, type, priority, input, metadata, max_retries,
                          timeout_seconds, created_by, parent_task_id, traceparent)
       SELECT task_id, agent_id, agent_handle, type, priority, input, metadata, max_retries,
              timeout_seconds, created_by, parent_task_id, traceparent
       FROM batch ORDER BY ord
       ON CONFLICT (task_id) DO NOTHING
       RETURNING *
     ), audit AS (
       INSERT INTO audit_logs (${AUDIT_INSERT_COLUMNS})
       SELECT (b.audit->>0)::uuid, b.audit->>1, b.audit->>2, b.audit->>3, (b.audit->>4)::jsonb,
              (b.audit->>5)::inet, b.audit->>6, (b.audit->>7)::timestamp
       FROM task JOIN batch b ON b.task_id = task.task_id
       WHERE b.audit IS NOT NULL
     )
     SELECT * FROM task`,
    [
      JSON.stringify(
        batch.map((p, ord) => ({
          ord,
          task_id: p.taskId,
          agent_id: p.agentUuid,
          agent_handle: p.agentHandle ?? null,
          type: p.type,
          priority: p.priority,
          input: p.input,
          metadata: p.metadata,
          max_retries: p.maxRetries,
          timeout_seconds: p.timeoutSeconds,
          created_by: p.createdBy,
          parent_task_id: p.parentTaskId,
          traceparent: p.traceparent ?? null,
          audit: p.audit ?? null,
        })),
      ),
    ],
    { prepare: true },
  );
  const byTaskId = new Map(rows.map((r) => [r.task_id, r]));
  return batch.map((p) => byTaskId.get(p.taskId));
}

/** Inserts one task (see `insertTasks`); undefined when its `taskId` already existed. */
export async function insertTask(db: Queryable, p: InsertTaskParams): Promise<TaskRow | undefined> {
  return (await insertTasks(db, [p]))[0];
}
