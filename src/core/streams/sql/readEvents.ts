import type { Queryable } from '../../../db/index.js';

export interface EventLogRow {
  seq: string;
  type: string;
  task_id: string | null;
  owner_id: string | null;
  payload: Record<string, unknown>;
  node_id: string;
  created_at: Date;
}

export interface ReadFilter {
  /** Only this task's events (uses the (task_id, seq) index). */
  taskId?: string;
  /** Only events this user owns. */
  ownerId?: string;
}

/** Events after `afterSeq`, oldest first, at most `limit` — a page of a replay or of the tail. */
export async function readEvents(
  db: Queryable,
  afterSeq: number,
  limit: number,
  filter: ReadFilter = {},
): Promise<EventLogRow[]> {
  const { rows } = await db.query<EventLogRow>(
    `SELECT * FROM event_log
     WHERE seq > $1 AND ($3::text IS NULL OR task_id = $3) AND ($4::text IS NULL OR owner_id = $4)
     ORDER BY seq LIMIT $2`,
    [afterSeq, limit, filter.taskId ?? null, filter.ownerId ?? null],
    { prepare: true },
  );
  return rows;
}

/** The span a resume may start in: the oldest kept `seq` and the last one handed out. */
export async function eventLogBounds(db: Queryable): Promise<{ oldest: number | null; last: number }> {
  const { rows } = await db.query<{ oldest: string | null; last: string }>(
    `SELECT (SELECT min(seq) FROM event_log) AS oldest, last_seq AS last FROM event_log_counter`,
  );
  const row = rows[0];
  return { oldest: row?.oldest == null ? null : Number(row.oldest), last: Number(row?.last ?? 0) };
}

/**
 * Deletes events older than the retention window; returns how many. Events are appended in time
 * order, so the expired ones are those before the first kept one in `seq` order: found by walking
 * the primary key from its start (as many steps as there are events to delete), without an index
 * on `created_at` to maintain per event (migration 040). An event whose node's clock ran behind
 * its neighbours' only makes the sweep stop early: retention is a minimum, never a cut into it.
 */
export async function sweepEvents(db: Queryable, retentionSeconds: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM event_log
     WHERE seq < COALESCE(
       (SELECT seq FROM event_log
        WHERE created_at >= CURRENT_TIMESTAMP - make_interval(secs => $1)
        ORDER BY seq LIMIT 1),
       (SELECT last_seq + 1 FROM event_log_counter))`,
    [retentionSeconds],
  );
  return rowCount;
}
