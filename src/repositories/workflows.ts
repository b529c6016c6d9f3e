/**
 * Stored workflow definitions (table `workflows`). The definition is validated by the core
 * before it gets here; the repository only stores it and bumps `version` on every change.
 */
import type { Queryable } from '../db/index.js';
import type { Page, PageRequest } from '../domain.js';
import { conflict, notFound, translateDbError } from '../errors.js';
import { selectPage, Where } from './sql.js';

/** One step of the DAG: an agent, an input template, and the steps it waits for. */
export interface WorkflowStep {
  id: string;
  /** `agent` (default): a task for `agentId`; `approval`: waits for a person's decision (SPEC §11). */
  type?: 'agent' | 'approval';
  /** The human `agentId` of the agent that runs the step (agent steps). */
  agentId: string;
  /** Task input template (`{ prompt: "… {{input.topic}} …" }`), rendered when the step starts. */
  input: unknown;
  /** Approval steps: what the person is asked, a template over `input.*` and its dependencies. */
  message?: string;
  /** Approval steps: what happens when nobody decides in `timeoutSeconds`. */
  onTimeout?: 'reject' | 'approve';
  dependsOn?: string[];
  /** A failed step normally fails the run; with this, the run goes on (its dependents are skipped). */
  continueOnError?: boolean;
  timeoutSeconds?: number;
}

export interface WorkflowDefinition {
  steps: WorkflowStep[];
}

export interface Workflow {
  id: string;
  workflowId: string;
  name: string;
  description: string | null;
  definition: WorkflowDefinition;
  version: number;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewWorkflow {
  workflowId: string;
  name: string;
  description?: string | null;
  definition: WorkflowDefinition;
  createdBy?: string | null;
}

export type WorkflowReplacement = Omit<NewWorkflow, 'workflowId' | 'createdBy'>;

interface WorkflowRow {
  id: string;
  workflow_id: string;
  name: string;
  description: string | null;
  definition: WorkflowDefinition;
  version: number;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

function toWorkflow(row: WorkflowRow): Workflow {
  return {
    id: row.id,
    workflowId: row.workflow_id,
    name: row.name,
    description: row.description,
    definition: row.definition,
    version: row.version,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const workflowNotFound = () => notFound('Workflow', 'WORKFLOW_NOT_FOUND');
const workflowExists = (id: string) => conflict(`Workflow ${id} already exists`, 'WORKFLOW_EXISTS');

export class WorkflowRepository {
  constructor(private readonly db: Queryable) {}

  async create(data: NewWorkflow): Promise<Workflow> {
    try {
      const { rows } = await this.db.query<WorkflowRow>(
        `INSERT INTO workflows (workflow_id, name, description, definition, created_by)
         VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [
          data.workflowId,
          data.name,
          data.description ?? null,
          JSON.stringify(data.definition),
          data.createdBy ?? null,
        ],
      );
      return toWorkflow(rows[0]);
    } catch (error) {
      translateDbError(error, () => workflowExists(data.workflowId));
    }
  }

  async findByWorkflowId(workflowId: string): Promise<Workflow> {
    const { rows } = await this.db.query<WorkflowRow>('SELECT * FROM workflows WHERE workflow_id = $1', [
      workflowId,
    ]);
    if (!rows[0]) throw workflowNotFound();
    return toWorkflow(rows[0]);
  }

  list(req: PageRequest = {}): Promise<Page<Workflow>> {
    return selectPage(this.db, 'workflows', new Where(), 'created_at DESC, id', req, toWorkflow);
  }

  /** PUT semantics: name, description and definition are replaced together; version goes up. */
  async replace(workflowId: string, data: WorkflowReplacement): Promise<Workflow> {
    const { rows } = await this.db.query<WorkflowRow>(
      `UPDATE workflows SET name = $2, description = $3, definition = $4,
              version = version + 1, updated_at = CURRENT_TIMESTAMP
        WHERE workflow_id = $1 RETURNING *`,
      [workflowId, data.name, data.description ?? null, JSON.stringify(data.definition)],
    );
    if (!rows[0]) throw workflowNotFound();
    return toWorkflow(rows[0]);
  }

  /** Deletes the workflow and its finished runs; a workflow with a running run is a 409. */
  async delete(workflowId: string): Promise<Workflow> {
    const { rows } = await this.db.query<WorkflowRow & { active: number }>(
      `SELECT w.*, (SELECT count(*)::int FROM workflow_runs r
                     WHERE r.workflow_id = w.id AND r.status = 'running') AS active
         FROM workflows w WHERE w.workflow_id = $1`,
      [workflowId],
    );
    if (!rows[0]) throw workflowNotFound();
    if (rows[0].active > 0) {
      throw conflict(`Workflow ${workflowId} has ${rows[0].active} running run(s)`, 'WORKFLOW_RUNNING');
    }
    await this.db.query('DELETE FROM workflows WHERE id = $1', [rows[0].id]);
    return toWorkflow(rows[0]);
  }
}
