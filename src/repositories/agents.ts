import { redactConfigSecrets } from '../configSecrets.js';
import type { Queryable } from '../db/index.js';
import type { Agent, AgentStatus, Page, PageRequest } from '../domain.js';
import { conflict, notFound, translateDbError } from '../errors.js';
import { buildAssignments, type ColumnSpec, isUuid, pageBounds, selectPage, Where } from './sql.js';

export interface AgentRow {
  id: string;
  agent_id: string;
  name: string;
  role: string;
  description: string | null;
  model_provider: string;
  model_key: string;
  model_name: string | null;
  status: AgentStatus;
  capabilities: string[] | null;
  actions: string[] | null;
  config: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  created_by: string | null;
  version: number;
}

export function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    agentId: row.agent_id,
    name: row.name,
    role: row.role,
    description: row.description,
    modelProvider: row.model_provider,
    modelKey: row.model_key,
    modelName: row.model_name,
    status: row.status,
    capabilities: row.capabilities ?? [],
    actions: row.actions ?? [],
    // Rows written before secret-named keys were refused never show (or cache) those values.
    config: redactConfigSecrets(row.config ?? {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    createdBy: row.created_by,
    version: row.version,
  };
}

export interface NewAgent {
  agentId: string;
  name: string;
  role: string;
  description?: string | null;
  modelProvider?: string;
  modelKey?: string;
  modelName?: string | null;
  status?: AgentStatus;
  capabilities?: string[];
  actions?: string[];
  config?: Record<string, unknown>;
  createdBy?: string | null;
}

export type AgentPatch = Partial<Omit<NewAgent, 'agentId' | 'createdBy'>>;

/** The only columns `update` may touch (agentId is the stable handle and is not patchable). */
const PATCHABLE: Readonly<Record<keyof AgentPatch, ColumnSpec>> = {
  name: { column: 'name' },
  role: { column: 'role' },
  description: { column: 'description' },
  modelProvider: { column: 'model_provider' },
  modelKey: { column: 'model_key' },
  modelName: { column: 'model_name' },
  status: { column: 'status' },
  capabilities: { column: 'capabilities', json: true },
  actions: { column: 'actions', json: true },
  config: { column: 'config', json: true },
};

const COLUMNS =
  'id, agent_id, name, role, description, model_provider, model_key, model_name, status, capabilities, actions, config, created_at, updated_at, created_by, version';
const agentExists = (agentId: string) => conflict(`Agent ${agentId} already exists`, 'AGENT_EXISTS');
const agentNotFound = () => notFound('Agent', 'AGENT_NOT_FOUND');

export class AgentRepository {
  constructor(private readonly db: Queryable) {}

  async create(data: NewAgent): Promise<Agent> {
    try {
      const { rows } = await this.db.query<AgentRow>(
        `INSERT INTO agents (agent_id, name, role, description, model_provider, model_key, model_name, status,
                             capabilities, actions, config, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         RETURNING ${COLUMNS}`,
        [
          data.agentId,
          data.name,
          data.role,
          data.description ?? null,
          data.modelProvider ?? 'openai',
          data.modelKey ?? 'bsm',
          data.modelName ?? null,
          data.status ?? 'active',
          JSON.stringify(data.capabilities ?? []),
          JSON.stringify(data.actions ?? []),
          JSON.stringify(data.config ?? {}),
          data.createdBy ?? null,
        ],
      );
      return toAgent(rows[0]);
    } catch (error) {
      translateDbError(error, () => agentExists(data.agentId));
    }
  }

  /** By UUID; 404 when absent (or when `id` is not a UUID at all). */
  async findById(id: string): Promise<Agent> {
    if (!isUuid(id)) throw agentNotFound();
    const { rows } = await this.db.query<AgentRow>(`SELECT ${COLUMNS} FROM agents WHERE id = $1`, [id]);
    if (!rows[0]) throw agentNotFound();
    return toAgent(rows[0]);
  }

  async findByAgentId(agentId: string): Promise<Agent> {
    const { rows } = await this.db.query<AgentRow>(`SELECT ${COLUMNS} FROM agents WHERE agent_id = $1`, [
      agentId,
    ]);
    if (!rows[0]) throw agentNotFound();
    return toAgent(rows[0]);
  }

  /** Newest first. */
  findAll(filters: { status?: AgentStatus } & PageRequest = {}): Promise<Page<Agent>> {
    const where = new Where().add('status = ?', filters.status);
    return selectPage(this.db, 'agents', where, 'created_at DESC, id', filters, toAgent);
  }

  async findActive(): Promise<Agent[]> {
    const { rows } = await this.db.query<AgentRow>(
      `SELECT ${COLUMNS} FROM agents WHERE status = 'active' ORDER BY created_at DESC`,
    );
    return rows.map(toAgent);
  }

  /** Bumps `updated_at` and `version`; only the columns of PATCHABLE can change. */
  async update(agentId: string, patch: AgentPatch): Promise<Agent> {
    const { assignments, values } = buildAssignments(PATCHABLE, patch as Record<string, unknown>, 2);
    assignments.push('updated_at = CURRENT_TIMESTAMP', 'version = version + 1');
    try {
      const { rows } = await this.db.query<AgentRow>(
        `UPDATE agents SET ${assignments.join(', ')} WHERE agent_id = $1 RETURNING ${COLUMNS}`,
        [agentId, ...values],
      );
      if (!rows[0]) throw agentNotFound();
      return toAgent(rows[0]);
    } catch (error) {
      translateDbError(error, () => agentExists(agentId));
    }
  }

  async delete(agentId: string): Promise<Agent> {
    const { rows } = await this.db.query<AgentRow>(
      `DELETE FROM agents WHERE agent_id = $1 RETURNING ${COLUMNS}`,
      [agentId],
    );
    if (!rows[0]) throw agentNotFound();
    return toAgent(rows[0]);
  }

  /**
   * Ranked full-text search over name, role, capabilities and description (weights A, B, B, C
   * in migration 007). `websearch_to_tsquery` accepts any user text without syntax errors.
   */
  async search(query: string, filters: { status?: AgentStatus } & PageRequest = {}): Promise<Page<Agent>> {
    const { limit, offset } = pageBounds(filters);
    const where = new Where().add(`search_vector @@ websearch_to_tsquery('english', ?)`, query);
    const q = where.params.length;
    where.add('status = ?', filters.status);
    const n = where.params.length;
    const [rows, count] = await Promise.all([
      this.db.query<AgentRow>(
        `SELECT ${COLUMNS} FROM agents ${where}
         ORDER BY ts_rank(search_vector, websearch_to_tsquery('english', $${q})) DESC, created_at DESC
         LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...where.params, limit, offset],
      ),
      this.db.query<{ total: number }>(`SELECT count(*)::int AS total FROM agents ${where}`, where.params),
    ]);
    return { items: rows.rows.map(toAgent), total: count.rows[0]?.total ?? 0, limit, offset };
  }

  async countByStatus(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM agents GROUP BY status',
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
}
