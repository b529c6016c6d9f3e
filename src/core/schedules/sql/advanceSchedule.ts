import type { Queryable } from '../../../db/index.js';

/** Moves `next_fire_at` past the fires just recorded, in their transaction (null: never again). */
export async function advanceSchedule(db: Queryable, id: string, next: Date | null): Promise<void> {
  await db.query(
    'UPDATE schedules SET next_fire_at = $2::timestamptz WHERE id = $1',
    [id, next?.toISOString() ?? null],
    {
      prepare: true,
    },
  );
}
