/**
 * Approvals (table `approvals`, SPEC §11): a person's decision a tool call or a workflow step
 * waits for. Reads join the task so that `taskId` is the task's human id, as clients know it.
 */
import type { Queryable } from '../db/index.js';
import type { Page, PageRequest } from '../domain.js';
import { notFound } from '../errors.js';
import { isUuid, pageBounds, selectPage, Where } from './sql.js';

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';
export type ApprovalKind = 'tool_call' | 'workflow_step';
export const APPROVAL_STATUSES: readonly ApprovalStatus[] = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'cancelled',
];

export interface Approval {
  approvalId: string;
  status: ApprovalStatus;
  kind: ApprovalKind;
  /** The task's human id (tool calls). */
  taskId: string | null;
  runId: string | null;
  stepId: string | null;
  action: string | null;
  args: unknown;
  message: string | null;
  /** The owner of the task or run (users.id). */
  requestedBy: string | null;
  /** Who decided; null while pending and on expiry. */
  decidedBy: string | null;
  comment: string | null;
  onTimeout: 'reject' | 'approve';
  createdAt: Date;
  expiresAt: Date;
  decidedAt: Date | null;
}

/** The row plus what the engine needs but clients do not see. */
export interface ApprovalRecord extends Approval {
  taskUuid: string | null;
  originalArgs: unknown;
}

interface ApprovalRow {
  id: string;
  status: ApprovalStatus;
  kind: ApprovalKind;
  task_id: string | null;
  task_handle: string | null;
  run_id: string | null;
  step_id: string | null;
  action: string | null;
  args: unknown;
  original_args: unknown;
  message: string | null;
  requested_by: string | null;
  decided_by: string | null;
  comment: string | null;
  on_timeout: 'reject' | 'approve';
  created_at: Date;
  expires_at: Date;
  decided_at: Date | null;
}

export function toApproval(row: ApprovalRow): ApprovalRecord {
  return {
    approvalId: row.id,
    status: row.status,
    kind: row.kind,
    taskId: row.task_handle ?? null,
    runId: row.run_id,
    stepId: row.step_id,
    action: row.action,
    args: row.args ?? null,
    message: row.message,
    requestedBy: row.requested_by,
    decidedBy: row.decided_by,
    comment: row.comment,
    onTimeout: row.on_timeout,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decidedAt: row.decided_at,
    taskUuid: row.task_id,
    originalArgs: row.original_args ?? null,
  };
}

/** Approvals with their task's human id: every read goes through this. */
const VIEW = `(SELECT a.*, t.task_id AS task_handle FROM approvals a LEFT JOIN tasks t ON t.id = a.task_id) AS v`;

export interface ApprovalFilters extends PageRequest {
  status?: ApprovalStatus;
  /** The task's human id. */
  taskId?: string;
  runId?: string;
  /** Only approvals of this user's tasks and runs. */
  requestedBy?: string;
}

export interface NewApproval {
  kind: ApprovalKind;
  taskUuid?: string | null;
  callKey?: string | null;
  runId?: string | null;
  stepId?: string | null;
  action?: string | null;
  args?: unknown;
  message?: string | null;
  requestedBy: string | null;
  timeoutSeconds: number;
  onTimeout: 'reject' | 'approve';
}

const approvalNotFound = () => notFound('Approval', 'APPROVAL_NOT_FOUND');

export class ApprovalRepository {
  constructor(private readonly db: Queryable) {}

  /**
   * Creates the request, or answers the one made before for the same tool call or step (a task
   * resumed after a crash asks again). `created` tells which.
   */
  async request(a: NewApproval): Promise<{ approval: ApprovalRecord; created: boolean }> {
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO approvals (kind, task_id, call_key, run_id, step_id, action, args, original_args, message,
                              requested_by, on_timeout, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10,
               CURRENT_TIMESTAMP + make_interval(secs => $11::float8))
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [
        a.kind,
        a.taskUuid ?? null,
        a.callKey ?? null,
        a.runId ?? null,
        a.stepId ?? null,
        a.action ?? null,
        a.args === undefined ? null : JSON.stringify(a.args),
        a.message ?? null,
        a.requestedBy,
        a.onTimeout,
        a.timeoutSeconds,
      ],
    );
    if (rows[0]) return { approval: await this.find(rows[0].id), created: true };
    const existing = await this.db.query<ApprovalRow>(
      `SELECT * FROM ${VIEW} WHERE (task_id = $1 AND call_key = $2) OR (run_id = $3 AND step_id = $4)`,
      [a.taskUuid ?? null, a.callKey ?? null, a.runId ?? null, a.stepId ?? null],
    );
    if (!existing.rows[0]) throw approvalNotFound();
    return { approval: toApproval(existing.rows[0]), created: false };
  }

  async find(approvalId: string): Promise<ApprovalRecord> {
    if (!isUuid(approvalId)) throw approvalNotFound();
    const { rows } = await this.db.query<ApprovalRow>(`SELECT * FROM ${VIEW} WHERE id = $1`, [approvalId]);
    if (!rows[0]) throw approvalNotFound();
    return toApproval(rows[0]);
  }

  /** Locks the row for a decision (inside a transaction). */
  async lock(approvalId: string): Promise<ApprovalRecord> {
    if (!isUuid(approvalId)) throw approvalNotFound();
    const { rows } = await this.db.query<{ id: string }>(
      'SELECT id FROM approvals WHERE id = $1 FOR UPDATE',
      [approvalId],
    );
    if (!rows[0]) throw approvalNotFound();
    return this.find(approvalId);
  }

  async list(filters: ApprovalFilters = {}): Promise<Page<ApprovalRecord>> {
    // A malformed run id matches nothing (and never reaches a uuid cast).
    if (filters.runId !== undefined && !isUuid(filters.runId))
      return { items: [], total: 0, ...pageBounds(filters) };
    const where = new Where()
      .add('status = ?', filters.status)
      .add('task_handle = ?', filters.taskId)
      .add('run_id = ?', filters.runId)
      .add('requested_by = ?', filters.requestedBy);
    return selectPage(this.db, VIEW, where, 'created_at DESC, id', filters, toApproval);
  }

  /** Records a decision on a pending approval; `args` (approve only) replaces the call's arguments. */
  async decide(
    approvalId: string,
    status: 'approved' | 'rejected' | 'expired',
    decidedBy: string | null,
    comment: string | null,
    args?: unknown,
  ): Promise<void> {
    await this.db.query(
      `UPDATE approvals SET status = $2, decided_by = $3, comment = $4, decided_at = CURRENT_TIMESTAMP,
         args = COALESCE($5::jsonb, args)
       WHERE id = $1 AND status = 'pending'`,
      [approvalId, status, decidedBy, comment, args === undefined ? null : JSON.stringify(args)],
    );
  }

  /** Pending approvals past their deadline by the database clock, locked (any node may sweep). */
  async lockExpired(limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM approvals WHERE status = 'pending' AND expires_at <= CURRENT_TIMESTAMP
       ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  /** Cancels the pending approvals of a task or a run step (the task or run was cancelled). */
  async cancelPending(where: { taskUuid?: string; runId?: string; stepId?: string }): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `UPDATE approvals SET status = 'cancelled', decided_at = CURRENT_TIMESTAMP
       WHERE status = 'pending'
         AND (($1::uuid IS NOT NULL AND task_id = $1::uuid)
              OR ($2::uuid IS NOT NULL AND run_id = $2::uuid AND ($3::text IS NULL OR step_id = $3::text)))
       RETURNING id`,
      [where.taskUuid ?? null, where.runId ?? null, where.stepId ?? null],
    );
    return rows.map((r) => r.id);
  }

  async countPending(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM approvals WHERE status = 'pending'",
    );
    return rows[0]?.n ?? 0;
  }
}
