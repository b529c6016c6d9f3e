import type { Queryable } from '../../../db/index.js';
import { EVENT_LOG_CHANNEL } from '../channels.js';

export interface EventToAppend {
  type: string;
  taskId: string | null;
  ownerId: string | null;
  payload: unknown;
  nodeId: string;
  at: string;
}

/**
 * Appends a batch of events and returns their `seq`, in batch order — one statement, one commit.
 * The counter row's lock is held until commit, so batches become visible in `seq` order (a tail
 * reading `seq > N` never skips a row that commits late). NOTIFY, transactional too, tells every
 * node's tail that rows up to the payload's `seq` (the batch's last) are readable — one notification
 * per batch, and a tail with nobody listening moves to it without a query.
 */
export async function appendEvents(db: Queryable, batch: EventToAppend[]): Promise<number[]> {
  const { rows } = await db.query<{ seq: string }>(
    `WITH counter AS (
       UPDATE event_log_counter SET last_seq = last_seq + $2 RETURNING last_seq - $2 AS base
     ), input AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb)
         AS i(ord int, type text, task_id text, owner_id text, payload jsonb, node_id text, at timestamptz)
     ), inserted AS (
       INSERT INTO event_log (seq, type, task_id, owner_id, payload, node_id, created_at)
       SELECT counter.base + input.ord, input.type, input.task_id, input.owner_id, input.payload,
              input.node_id, input.at AT TIME ZONE 'UTC'
       FROM counter, input
       RETURNING seq
     )
     SELECT seq, n.notified FROM inserted,
       (SELECT pg_notify('${EVENT_LOG_CHANNEL}', max(seq)::text) AS notified FROM inserted) n
     ORDER BY seq`,
    [
      JSON.stringify(
        batch.map((e, i) => ({
          ord: i + 1,
          type: e.type,
          task_id: e.taskId,
          owner_id: e.ownerId,
          payload: e.payload,
          node_id: e.nodeId,
          at: e.at,
        })),
      ),
      batch.length,
    ],
    { prepare: true },
  );
  return rows.map((r) => Number(r.seq));
}
