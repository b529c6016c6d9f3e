/**
 * Schedules and their fires (tables `schedules`, `schedule_fires`, SPEC §14). The firing itself
 * (locking a due schedule, recording a fire with its task) lives in `core/schedules/sql/`.
 */
import type { Queryable } from '../db/index.js';
import type { Page, PageRequest } from '../domain.js';
import { conflict, notFound, translateDbError } from '../errors.js';
import { buildAssignments, type ColumnSpec, selectPage, Where } from './sql.js';

export type ScheduleTarget =
  | { agentId: string; input: Record<string, unknown> }
  | { workflowId: string; input: Record<string, unknown> };
export type Overlap = 'skip' | 'allow';
export type CatchUpPolicy = 'none' | 'latest';

export interface Schedule {
  id: string;
  scheduleId: string;
  cron: string;
  timezone: string;
  target: ScheduleTarget;
  overlap: Overlap;
  catchUp: CatchUpPolicy;
  enabled: boolean;
  /** The next fire time not yet handled (null while disabled). */
  nextFireAt: Date | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ScheduleRow {
  id: string;
  schedule_id: string;
  cron: string;
  timezone: string;
  target_type: 'agent' | 'workflow';
  target_id: string;
  input: Record<string, unknown>;
  overlap: Overlap;
  catch_up: CatchUpPolicy;
  enabled: boolean;
  next_fire_at: Date | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export function toSchedule(row: ScheduleRow): Schedule {
  return {
    id: row.id,
    scheduleId: row.schedule_id,
    cron: row.cron,
    timezone: row.timezone,
    target:
      row.target_type === 'workflow'
        ? { workflowId: row.target_id, input: row.input }
        : { agentId: row.target_id, input: row.input },
    overlap: row.overlap,
    catchUp: row.catch_up,
    enabled: row.enabled,
    nextFireAt: row.next_fire_at,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export type FireKind = 'cron' | 'catch-up' | 'manual';
export type FireStatus = 'fired' | 'skipped' | 'failed';

export interface ScheduleFire {
  id: string;
  /** The cron time this fire stands for (the moment of the request for a manual trigger). */
  fireTime: Date;
  kind: FireKind;
  status: FireStatus;
  /** Why the target refused the fire (status `failed`), or why it was skipped. */
  error: string | null;
  /** The task's human id (agent schedules), while the task exists. */
  taskId: string | null;
  /** The workflow run's id (workflow schedules). */
  runId: string | null;
  createdAt: Date;
}

export interface ScheduleFireRow {
  id: string;
  fire_time: Date;
  kind: FireKind;
  status: FireStatus;
  error: string | null;
  task_handle: string | null;
  run_id: string | null;
  created_at: Date;
}

export const toFire = (row: ScheduleFireRow): ScheduleFire => ({
  id: row.id,
  fireTime: row.fire_time,
  kind: row.kind,
  status: row.status,
  error: row.error,
  taskId: row.task_handle,
  runId: row.run_id,
  createdAt: row.created_at,
});

export interface NewSchedule {
  scheduleId: string;
  cron: string;
  timezone: string;
  target: ScheduleTarget;
  overlap: Overlap;
  catchUp: CatchUpPolicy;
  enabled: boolean;
  nextFireAt: Date | null;
  createdBy: string | null;
}

/** What PATCH may change, by column (the service recomputes `nextFireAt`). */
export interface SchedulePatch {
  cron?: string;
  timezone?: string;
  targetType?: 'agent' | 'workflow';
  targetId?: string;
  input?: Record<string, unknown>;
  overlap?: Overlap;
  catchUp?: CatchUpPolicy;
  enabled?: boolean;
  nextFireAt?: Date | null;
}

const PATCHABLE: Readonly<Record<keyof SchedulePatch, ColumnSpec>> = {
  cron: { column: 'cron' },
  timezone: { column: 'timezone' },
  targetType: { column: 'target_type' },
  targetId: { column: 'target_id' },
  input: { column: 'input', json: true },
  overlap: { column: 'overlap' },
  catchUp: { column: 'catch_up' },
  enabled: { column: 'enabled' },
  nextFireAt: { column: 'next_fire_at' },
};

export const targetColumns = (target: ScheduleTarget) =>
  'workflowId' in target
    ? { targetType: 'workflow' as const, targetId: target.workflowId }
    : { targetType: 'agent' as const, targetId: target.agentId };

const scheduleNotFound = () => notFound('Schedule', 'SCHEDULE_NOT_FOUND');

export class ScheduleRepository {
  constructor(private readonly db: Queryable) {}

  async create(data: NewSchedule): Promise<Schedule> {
    const { targetType, targetId } = targetColumns(data.target);
    try {
      const { rows } = await this.db.query<ScheduleRow>(
        `INSERT INTO schedules (schedule_id, cron, timezone, target_type, target_id, input, overlap, catch_up,
                                enabled, next_fire_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::timestamptz, $11) RETURNING *`,
        [
          data.scheduleId,
          data.cron,
          data.timezone,
          targetType,
          targetId,
          JSON.stringify(data.target.input),
          data.overlap,
          data.catchUp,
          data.enabled,
          data.nextFireAt?.toISOString() ?? null,
          data.createdBy,
        ],
      );
      return toSchedule(rows[0]);
    } catch (error) {
      translateDbError(error, () =>
        conflict(`Schedule ${data.scheduleId} already exists`, 'SCHEDULE_EXISTS'),
      );
    }
  }

  async findByScheduleId(scheduleId: string): Promise<Schedule> {
    const { rows } = await this.db.query<ScheduleRow>('SELECT * FROM schedules WHERE schedule_id = $1', [
      scheduleId,
    ]);
    if (!rows[0]) throw scheduleNotFound();
    return toSchedule(rows[0]);
  }

  list(filters: { createdBy?: string } & PageRequest = {}): Promise<Page<Schedule>> {
    const where = new Where().add('created_by = ?', filters.createdBy);
    return selectPage(this.db, 'schedules', where, 'created_at DESC, id', filters, toSchedule);
  }

  async update(scheduleId: string, patch: SchedulePatch): Promise<Schedule> {
    const { nextFireAt, ...rest } = patch;
    const { assignments, values } = buildAssignments(PATCHABLE, rest as Record<string, unknown>, 2);
    if (nextFireAt !== undefined) {
      // An ISO string cast in SQL: the stored UTC time never depends on the process's zone.
      assignments.push(`next_fire_at = $${2 + values.length}::timestamptz`);
      values.push(nextFireAt?.toISOString() ?? null);
    }
    const { rows } = await this.db.query<ScheduleRow>(
      `UPDATE schedules SET ${[...assignments, 'updated_at = CURRENT_TIMESTAMP'].join(', ')}
       WHERE schedule_id = $1 RETURNING *`,
      [scheduleId, ...values],
    );
    if (!rows[0]) throw scheduleNotFound();
    return toSchedule(rows[0]);
  }

  async delete(scheduleId: string): Promise<void> {
    const { rows } = await this.db.query('DELETE FROM schedules WHERE schedule_id = $1 RETURNING id', [
      scheduleId,
    ]);
    if (!rows[0]) throw scheduleNotFound();
  }

  /** A schedule's fires, newest first. */
  async fires(scheduleUuid: string, page: PageRequest): Promise<Page<ScheduleFire>> {
    const limit = page.limit ?? 50;
    const offset = page.offset ?? 0;
    const [{ rows }, count] = await Promise.all([
      this.db.query<ScheduleFireRow>(
        `SELECT f.id, f.fire_time, f.kind, f.status, f.error, t.task_id AS task_handle, f.run_id, f.created_at
         FROM schedule_fires f LEFT JOIN tasks t ON t.id = f.task_id
         WHERE f.schedule_id = $1 ORDER BY f.fire_time DESC, f.created_at DESC LIMIT $2 OFFSET $3`,
        [scheduleUuid, limit, offset],
      ),
      this.db.query<{ total: string }>(
        'SELECT COUNT(*) AS total FROM schedule_fires WHERE schedule_id = $1',
        [scheduleUuid],
      ),
    ]);
    return { items: rows.map(toFire), total: Number(count.rows[0].total), limit, offset };
  }
}
