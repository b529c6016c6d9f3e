/**
 * Workflow runs and their steps (tables `workflow_runs`, `workflow_run_steps`). The workflow
 * engine calls these inside one transaction per decision, with the run row locked, so two nodes
 * advancing the same run never schedule a step twice.
 */
import type { Queryable } from '../db/index.js';
import type { Page, PageRequest } from '../domain.js';
import { notFound } from '../errors.js';
import { isUuid, pageBounds } from './sql.js';
import type { WorkflowDefinition } from './workflows.js';

export type WorkflowRunStatus = 'running' | 'completed' | 'failed' | 'cancelled';
/** `waiting`: an approval step waiting for a person's decision. */
export type WorkflowStepStatus =
  | 'pending'
  | 'running'
  | 'waiting'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'skipped';

export interface WorkflowRunStep {
  stepId: string;
  status: WorkflowStepStatus;
  /** `tasks.task_id` of the step's task, once scheduled. */
  taskId: string | null;
  input: unknown;
  output: unknown;
  error: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
}

export interface WorkflowRun {
  runId: string;
  /** The workflow's human handle. */
  workflowId: string;
  workflowVersion: number;
  status: WorkflowRunStatus;
  input: Record<string, unknown>;
  output: unknown;
  error: string | null;
  createdBy: string | null;
  /** `scheduleId` and `fireTime` when a schedule started the run. */
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
  steps: WorkflowRunStep[];
}

/** A locked run as the engine works on it: the definition it started with and its input. */
export interface RunState {
  runId: string;
  status: WorkflowRunStatus;
  definition: WorkflowDefinition;
  input: Record<string, unknown>;
  createdBy: string | null;
}

interface RunRow {
  id: string;
  workflow_handle: string;
  workflow_version: number;
  definition: WorkflowDefinition;
  status: WorkflowRunStatus;
  input: Record<string, unknown>;
  output: unknown;
  error: string | null;
  created_by: string | null;
  metadata: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

interface StepRow {
  step_id: string;
  status: WorkflowStepStatus;
  task_id: string | null;
  input: unknown;
  output: unknown;
  error: string | null;
  started_at: Date | null;
  completed_at: Date | null;
}

const toRunSummary = (row: RunRow): Omit<WorkflowRun, 'steps'> => ({
  runId: row.id,
  workflowId: row.workflow_handle,
  workflowVersion: row.workflow_version,
  status: row.status,
  input: row.input,
  output: row.output ?? null,
  error: row.error,
  createdBy: row.created_by,
  metadata: row.metadata ?? {},
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  completedAt: row.completed_at,
});

const toStep = (row: StepRow): WorkflowRunStep => ({
  stepId: row.step_id,
  status: row.status,
  taskId: row.task_id,
  input: row.input ?? null,
  output: row.output ?? null,
  error: row.error,
  startedAt: row.started_at,
  completedAt: row.completed_at,
});

export interface StepChange {
  status: WorkflowStepStatus;
  taskId?: string;
  input?: unknown;
  output?: unknown;
  error?: string | null;
}

const runNotFound = () => notFound('Workflow run', 'WORKFLOW_RUN_NOT_FOUND');
const TERMINAL_STEP = "('completed', 'failed', 'cancelled', 'skipped')";

export class WorkflowRunRepository {
  constructor(private readonly db: Queryable) {}

  async create(data: {
    workflowUuid: string;
    workflowVersion: number;
    definition: WorkflowDefinition;
    input: Record<string, unknown>;
    createdBy: string | null;
    metadata?: Record<string, unknown>;
  }): Promise<string> {
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO workflow_runs (workflow_id, workflow_version, definition, input, created_by, metadata)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [
        data.workflowUuid,
        data.workflowVersion,
        JSON.stringify(data.definition),
        JSON.stringify(data.input),
        data.createdBy,
        JSON.stringify(data.metadata ?? {}),
      ],
    );
    const runId = rows[0].id;
    for (const [position, step] of data.definition.steps.entries()) {
      await this.db.query('INSERT INTO workflow_run_steps (run_id, step_id, position) VALUES ($1, $2, $3)', [
        runId,
        step.id,
        position,
      ]);
    }
    return runId;
  }

  async find(runId: string): Promise<WorkflowRun> {
    if (!isUuid(runId)) throw runNotFound();
    const { rows } = await this.db.query<RunRow>(
      `SELECT r.*, w.workflow_id AS workflow_handle
         FROM workflow_runs r JOIN workflows w ON w.id = r.workflow_id WHERE r.id = $1`,
      [runId],
    );
    if (!rows[0]) throw runNotFound();
    return { ...toRunSummary(rows[0]), steps: await this.steps(runId) };
  }

  /**
   * Runs newest first, without their steps (`find` has them). `createdBy` narrows to one owner's
   * runs: a `user` lists only their own (SPEC §10).
   */
  async list(
    filters: { workflowId?: string; status?: WorkflowRunStatus; createdBy?: string } & PageRequest,
  ): Promise<Page<Omit<WorkflowRun, 'steps'>>> {
    const { limit, offset } = pageBounds(filters);
    const params = [filters.workflowId ?? null, filters.status ?? null, filters.createdBy ?? null];
    const where = `WHERE ($1::varchar IS NULL OR w.workflow_id = $1)
         AND ($2::varchar IS NULL OR r.status = $2)
         AND ($3::uuid IS NULL OR r.created_by = $3)`;
    const [page, count] = await Promise.all([
      this.db.query<RunRow>(
        `SELECT r.*, w.workflow_id AS workflow_handle
           FROM workflow_runs r JOIN workflows w ON w.id = r.workflow_id ${where}
          ORDER BY r.created_at DESC, r.id LIMIT $4 OFFSET $5`,
        [...params, limit, offset],
      ),
      this.db.query<{ total: number }>(
        `SELECT count(*)::int AS total FROM workflow_runs r JOIN workflows w ON w.id = r.workflow_id ${where}`,
        params,
      ),
    ]);
    return { items: page.rows.map(toRunSummary), total: count.rows[0]?.total ?? 0, limit, offset };
  }

  /** Locks the run row until the surrounding transaction ends; null when there is no such run. */
  lock(runId: string): Promise<RunState | null> {
    return this.state(runId, true);
  }

  async state(runId: string, forUpdate = false): Promise<RunState | null> {
    if (!isUuid(runId)) return null;
    const { rows } = await this.db.query<RunRow>(
      `SELECT * FROM workflow_runs WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [runId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      runId: row.id,
      status: row.status,
      definition: row.definition,
      input: row.input,
      createdBy: row.created_by,
    };
  }

  async steps(runId: string): Promise<WorkflowRunStep[]> {
    const { rows } = await this.db.query<StepRow>(
      'SELECT * FROM workflow_run_steps WHERE run_id = $1 ORDER BY position',
      [runId],
    );
    return rows.map(toStep);
  }

  async updateStep(runId: string, stepId: string, change: StepChange): Promise<void> {
    await this.db.query(
      `UPDATE workflow_run_steps SET
          status = $3::varchar,
          task_id = COALESCE($4::varchar, task_id),
          input = COALESCE($5::jsonb, input),
          output = COALESCE($6::jsonb, output),
          error = COALESCE($7::text, error),
          started_at = CASE WHEN $3::varchar IN ('running', 'waiting') THEN CURRENT_TIMESTAMP ELSE started_at END,
          completed_at = CASE WHEN $3::varchar IN ${TERMINAL_STEP} THEN CURRENT_TIMESTAMP ELSE completed_at END
        WHERE run_id = $1 AND step_id = $2`,
      [
        runId,
        stepId,
        change.status,
        change.taskId ?? null,
        change.input === undefined ? null : JSON.stringify(change.input),
        change.output === undefined ? null : JSON.stringify(change.output),
        change.error ?? null,
      ],
    );
  }

  async finish(
    runId: string,
    status: WorkflowRunStatus,
    output: unknown,
    error: string | null,
  ): Promise<void> {
    await this.db.query(
      `UPDATE workflow_runs SET status = $2, output = $3, error = $4,
              updated_at = CURRENT_TIMESTAMP, completed_at = CURRENT_TIMESTAMP
        WHERE id = $1`,
      [runId, status, output === undefined ? null : JSON.stringify(output), error],
    );
  }

  /** The run and step a task belongs to, if it is a workflow step's task. */
  async findStepByTaskId(taskId: string): Promise<{ runId: string; stepId: string } | null> {
    const { rows } = await this.db.query<{ run_id: string; step_id: string }>(
      'SELECT run_id, step_id FROM workflow_run_steps WHERE task_id = $1',
      [taskId],
    );
    return rows[0] ? { runId: rows[0].run_id, stepId: rows[0].step_id } : null;
  }

  async runningRunIds(): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      "SELECT id FROM workflow_runs WHERE status = 'running' ORDER BY created_at",
    );
    return rows.map((r) => r.id);
  }
}
