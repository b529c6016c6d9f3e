import type { Queryable } from '../db/index.js';
import type { MlModel, ModelStatus, Page, PageRequest } from '../domain.js';
import { conflict, notFound, translateDbError } from '../errors.js';
import { buildAssignments, type ColumnSpec, selectPage, Where } from './sql.js';

export interface MlModelRow {
  id: string;
  model_id: string;
  name: string;
  type: string;
  version: string;
  status: ModelStatus;
  framework: string | null;
  metrics: Record<string, unknown> | null;
  config: Record<string, unknown> | null;
  parameters: Record<string, unknown> | null;
  file_path: string | null;
  created_at: Date;
  deployed_at: Date | null;
  created_by: string | null;
}

export function toMlModel(row: MlModelRow): MlModel {
  return {
    id: row.id,
    modelId: row.model_id,
    name: row.name,
    type: row.type,
    version: row.version,
    status: row.status,
    framework: row.framework,
    metrics: row.metrics ?? {},
    config: row.config ?? {},
    parameters: row.parameters ?? {},
    filePath: row.file_path,
    createdAt: row.created_at,
    deployedAt: row.deployed_at,
    createdBy: row.created_by,
  };
}

export interface NewMlModel {
  modelId: string;
  name: string;
  type: string;
  version: string;
  status?: ModelStatus;
  framework?: string | null;
  metrics?: Record<string, unknown>;
  config?: Record<string, unknown>;
  parameters?: Record<string, unknown>;
  filePath?: string | null;
  createdBy?: string | null;
}

export type MlModelPatch = Partial<Omit<NewMlModel, 'modelId' | 'createdBy'>>;

const PATCHABLE: Readonly<Record<keyof MlModelPatch, ColumnSpec>> = {
  name: { column: 'name' },
  type: { column: 'type' },
  version: { column: 'version' },
  status: { column: 'status' },
  framework: { column: 'framework' },
  metrics: { column: 'metrics', json: true },
  config: { column: 'config', json: true },
  parameters: { column: 'parameters', json: true },
  filePath: { column: 'file_path' },
};

const modelNotFound = () => notFound('Model', 'MODEL_NOT_FOUND');
const modelExists = (modelId: string) => conflict(`Model ${modelId} already exists`, 'MODEL_EXISTS');

export class MlModelRepository {
  constructor(private readonly db: Queryable) {}

  async create(data: NewMlModel): Promise<MlModel> {
    try {
      const { rows } = await this.db.query<MlModelRow>(
        `INSERT INTO ml_models (model_id, name, type, version, status, framework, metrics, config, file_path, created_by,
                                parameters)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
        [
          data.modelId,
          data.name,
          data.type,
          data.version,
          data.status ?? 'training',
          data.framework ?? null,
          JSON.stringify(data.metrics ?? {}),
          JSON.stringify(data.config ?? {}),
          data.filePath ?? null,
          data.createdBy ?? null,
          JSON.stringify(data.parameters ?? {}),
        ],
      );
      return toMlModel(rows[0]);
    } catch (error) {
      translateDbError(error, () => modelExists(data.modelId));
    }
  }

  async findByModelId(modelId: string): Promise<MlModel> {
    const { rows } = await this.db.query<MlModelRow>('SELECT * FROM ml_models WHERE model_id = $1', [
      modelId,
    ]);
    if (!rows[0]) throw modelNotFound();
    return toMlModel(rows[0]);
  }

  list(filters: { status?: ModelStatus; type?: string } & PageRequest = {}): Promise<Page<MlModel>> {
    const where = new Where().add('status = ?', filters.status).add('type = ?', filters.type);
    return selectPage(this.db, 'ml_models', where, 'created_at DESC, id', filters, toMlModel);
  }

  async update(modelId: string, patch: MlModelPatch): Promise<MlModel> {
    const { assignments, values } = buildAssignments(PATCHABLE, patch as Record<string, unknown>, 2);
    if (assignments.length === 0) return this.findByModelId(modelId);
    const { rows } = await this.db.query<MlModelRow>(
      `UPDATE ml_models SET ${assignments.join(', ')} WHERE model_id = $1 RETURNING *`,
      [modelId, ...values],
    );
    if (!rows[0]) throw modelNotFound();
    return toMlModel(rows[0]);
  }

  /** Status `deployed`, `deployed_at` now. */
  async deploy(modelId: string): Promise<MlModel> {
    const { rows } = await this.db.query<MlModelRow>(
      `UPDATE ml_models SET status = 'deployed', deployed_at = CURRENT_TIMESTAMP WHERE model_id = $1 RETURNING *`,
      [modelId],
    );
    if (!rows[0]) throw modelNotFound();
    return toMlModel(rows[0]);
  }

  async delete(modelId: string): Promise<MlModel> {
    const { rows } = await this.db.query<MlModelRow>(
      'DELETE FROM ml_models WHERE model_id = $1 RETURNING *',
      [modelId],
    );
    if (!rows[0]) throw modelNotFound();
    return toMlModel(rows[0]);
  }
}
