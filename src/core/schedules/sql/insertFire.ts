import type { Queryable } from '../../../db/index.js';
import type { FireKind, FireStatus } from '../../../repositories/schedules.js';

/**
 * Records one fire. The unique (schedule, fire time) index makes it the guard of "exactly once":
 * a fire time recorded already (by any node, before any restart) inserts nothing, and the caller
 * then creates no task. Manual triggers are outside that index (each is its own fire).
 */
export async function insertFire(
  db: Queryable,
  fire: { scheduleUuid: string; fireTime: Date; kind: FireKind; status: FireStatus; error?: string },
): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO schedule_fires (schedule_id, fire_time, kind, status, error)
     VALUES ($1, $2::timestamptz, $3, $4, $5)
     ON CONFLICT (schedule_id, fire_time) WHERE kind <> 'manual' DO NOTHING
     RETURNING id`,
    [fire.scheduleUuid, fire.fireTime.toISOString(), fire.kind, fire.status, fire.error ?? null],
    { prepare: true },
  );
  return rows[0]?.id;
}
