/**
 * Follows the event log for one stream: replays kept events after a cursor (Last-Event-ID), then
 * hands over live ones — each exactly once, in `seq` order. Live events that arrive during the
 * replay wait in a buffer; anything at or below the cursor is dropped, so the seam between replay
 * and live neither loses nor repeats an event.
 */
import { type EventLog, type LoggedEvent, parseSeq } from './eventLog.js';
import type { ReadFilter } from './sql/readEvents.js';

export interface FollowOptions {
  /** Deliver events after this `seq` (undefined: live only, from now on). */
  after?: number;
  /** Narrows the replay query (the index does the work); `accept` still decides each event. */
  filter?: ReadFilter;
  accept(event: LoggedEvent): boolean;
  send(event: LoggedEvent): void;
}

export interface Follower {
  /** Resolves when the replay has been sent (live events flow after it). */
  ready: Promise<void>;
  stop(): void;
}

/** Where a resume starts: `stream:reset` when the id is unknown or older than what is kept. */
export async function resumePoint(
  log: EventLog,
  lastEventId: string | undefined,
): Promise<{ after: number; reset: boolean }> {
  const { oldest, last } = await log.bounds();
  const id = parseSeq(lastEventId);
  const firstKept = oldest ?? last + 1;
  if (id === undefined || id > last || id < firstKept - 1) return { after: firstKept - 1, reset: true };
  return { after: id, reset: false };
}

export function follow(log: EventLog, options: FollowOptions): Follower {
  let cursor = options.after ?? Number.POSITIVE_INFINITY;
  let stopped = false;
  let replaying = options.after !== undefined;
  const buffered: LoggedEvent[] = [];
  const deliver = (event: LoggedEvent) => {
    if (stopped || event.seq <= cursor) return;
    cursor = event.seq;
    if (options.accept(event)) options.send(event);
  };
  const { unsubscribe, position } = log.subscribe((event) => {
    if (replaying) buffered.push(event);
    else deliver(event);
  });
  if (options.after === undefined) cursor = position;
  const ready = (async () => {
    if (!replaying) return;
    try {
      for (;;) {
        const page = await log.read(cursor, options.filter);
        for (const event of page) deliver(event);
        if (page.length === 0 || stopped) break;
      }
    } finally {
      replaying = false;
      for (const event of buffered.splice(0)) deliver(event);
    }
  })();
  return {
    ready,
    stop() {
      stopped = true;
      unsubscribe();
    },
  };
}
