/**
 * The event log (SPEC §12): every event this node emits, kept in PostgreSQL for
 * BSM_EVENT_RETENTION_SECONDS under a `seq` that is the SSE event id, so a client can resume a
 * stream on any node with Last-Event-ID. Why PostgreSQL and not a Redis stream: docs/STREAMING.md.
 *
 * Writes are batched ("natural batching", as the queue's completions): one statement in flight,
 * everything appended meanwhile goes in the next — so a burst of deltas costs one round trip per
 * batch, and this node's events keep the order they were emitted in.
 *
 * The tail reads new rows in `seq` order (woken by this node's writes, by NOTIFY from other
 * nodes, and every 2 s as a fallback) and hands them to live subscribers.
 */
import type { Db } from '../../db/index.js';
import type { Logger } from '../../logger.js';
import { EVENT_LOG_CHANNEL } from './channels.js';
import { appendEvents, type EventToAppend } from './sql/appendEvents.js';
import {
  type EventLogRow,
  eventLogBounds,
  type ReadFilter,
  readEvents,
  sweepEvents,
} from './sql/readEvents.js';

export interface LoggedEvent {
  seq: number;
  type: string;
  taskId: string | null;
  ownerId: string | null;
  payload: Record<string, unknown>;
  nodeId: string;
  at: string;
}

export type LogListener = (event: LoggedEvent) => void;

export interface EventLogOptions {
  retentionSeconds: number;
  /** Fallback tail read while someone listens (a NOTIFY can be missed across a reconnect). */
  tailPollMs?: number;
  sweepIntervalMs?: number;
}

const MAX_BATCH = 500;
const PAGE = 500;
const WRITE_ATTEMPTS = 3;

/** A `seq` as text (an SSE id, a NOTIFY payload): digits only, at most 18; otherwise undefined. */
export function parseSeq(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,18}$/.test(text) ? Number(text) : undefined;
}

export function toLoggedEvent(row: EventLogRow): LoggedEvent {
  return {
    seq: Number(row.seq),
    type: row.type,
    taskId: row.task_id,
    ownerId: row.owner_id,
    payload: row.payload,
    nodeId: row.node_id,
    at: row.created_at.toISOString(),
  };
}

export class EventLog {
  private pending: EventToAppend[] = [];
  private writing: Promise<void> | undefined;
  private readonly listeners = new Set<LogListener>();
  /** Highest `seq` the tail has handed to listeners (or skipped while nobody listened). */
  private position = 0;
  /** The highest `seq` known to be committed: this node's appends and other nodes' NOTIFYs. */
  private lastKnown = 0;
  private reading: Promise<void> | undefined;
  private readAgain = false;
  private timers: NodeJS.Timeout[] = [];
  private unlisten: (() => Promise<void>) | undefined;
  private started = false;
  /** Set when the log's tables are missing (`bsm migrate` opens the database before migrating). */
  private disabled = false;
  appended = 0;
  batches = 0;

  constructor(
    private readonly db: Db,
    readonly nodeId: string,
    private readonly logger: Logger,
    private readonly options: EventLogOptions,
  ) {}

  async start(): Promise<void> {
    if (this.started) return;
    try {
      this.position = (await eventLogBounds(this.db)).last;
      this.lastKnown = this.position;
    } catch (err) {
      this.disabled = true;
      this.pending = [];
      this.logger.warn({ err: (err as Error).message }, 'event log unavailable (database not migrated?)');
      return;
    }
    this.started = true;
    this.unlisten = await this.db.listen(EVENT_LOG_CHANNEL, (payload) => this.announced(payload));
    const poll = setInterval(() => {
      // With nobody listening, the fallback re-reads only the log's end (a missed NOTIFY).
      if (this.listeners.size) this.wake();
      else this.resync();
    }, this.options.tailPollMs ?? 2_000);
    const sweep = setInterval(() => void this.sweep(), this.options.sweepIntervalMs ?? 60_000);
    for (const t of [poll, sweep]) t.unref();
    this.timers.push(poll, sweep);
    this.wake();
  }

  /** Writes what is still buffered, then stops the tail. */
  async stop(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t);
    await this.flush();
    await this.unlisten?.().catch(() => undefined);
    this.unlisten = undefined;
    await this.reading;
    this.started = false;
  }

  /** Queues an event for the log (written in the next batch). */
  append(event: Omit<EventToAppend, 'nodeId' | 'at'> & { at?: string }): void {
    if (this.disabled) return;
    this.pending.push({ ...event, nodeId: this.nodeId, at: event.at ?? new Date().toISOString() });
    if (!this.writing) this.writing = this.writeAll();
  }

  /** Resolves once everything appended so far is written. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Live events in `seq` order, from the tail's position on. Returns the unsubscribe function. */
  subscribe(fn: LogListener): { unsubscribe: () => void; position: number } {
    this.listeners.add(fn);
    return { unsubscribe: () => this.listeners.delete(fn), position: this.position };
  }

  /** A page of kept events after `afterSeq`, oldest first. */
  async read(afterSeq: number, filter: ReadFilter = {}, limit = PAGE): Promise<LoggedEvent[]> {
    return (await readEvents(this.db, afterSeq, limit, filter)).map(toLoggedEvent);
  }

  bounds(): Promise<{ oldest: number | null; last: number }> {
    return eventLogBounds(this.db);
  }

  async sweep(): Promise<number> {
    try {
      return await sweepEvents(this.db, this.options.retentionSeconds);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not sweep the event log');
      return 0;
    }
  }

  metrics() {
    return { appended: this.appended, batches: this.batches, listeners: this.listeners.size };
  }

  private async writeAll(): Promise<void> {
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0, MAX_BATCH);
        await this.writeBatch(batch);
      }
    } finally {
      this.writing = undefined;
    }
    this.wake();
  }

  private async writeBatch(batch: EventToAppend[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const seqs = await appendEvents(this.db, batch);
        this.lastKnown = Math.max(this.lastKnown, seqs[seqs.length - 1] ?? 0);
        this.appended += batch.length;
        this.batches += 1;
        return;
      } catch (err) {
        if (attempt >= WRITE_ATTEMPTS) {
          // Streams then miss these events; the tasks' own rows stay the source of truth.
          this.logger.warn({ err: (err as Error).message, events: batch.length }, 'events not logged');
          return;
        }
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  }

  /** Asks for a tail read; coalesces with one in flight. */
  wake(): void {
    if (!this.started) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = this.readTail()
      .catch((err: unknown) => this.logger.warn({ err: (err as Error).message }, 'event tail read failed'))
      .finally(() => {
        this.reading = undefined;
        if (this.readAgain) {
          this.readAgain = false;
          this.wake();
        }
      });
  }

  /** A NOTIFY from a node's append: its payload is the batch's last `seq` (all below are readable). */
  private announced(payload: string): void {
    const seq = parseSeq(payload);
    if (seq === undefined) {
      this.resync();
      return;
    }
    this.lastKnown = Math.max(this.lastKnown, seq);
    this.wake();
  }

  /** Reads the log's last `seq` (a NOTIFY without one, or the fallback): then as a notification. */
  private resync(): void {
    eventLogBounds(this.db).then(
      ({ last }) => {
        this.lastKnown = Math.max(this.lastKnown, last);
        this.wake();
      },
      (err: unknown) => this.logger.warn({ err: (err as Error).message }, 'event log end not read'),
    );
  }

  private async readTail(): Promise<void> {
    if (this.listeners.size === 0) {
      // Nobody listens: move to the end the notifications announced, without a query — so a
      // node nobody streams from reads nothing per batch. Synchronous, so no subscriber can
      // slip in between (they are promised every event after the position they are given).
      this.position = Math.max(this.position, this.lastKnown);
      return;
    }
    for (;;) {
      const rows = await readEvents(this.db, this.position, PAGE);
      for (const row of rows) {
        const event = toLoggedEvent(row);
        this.position = event.seq;
        for (const fn of this.listeners) {
          try {
            fn(event);
          } catch (err) {
            this.logger.error({ err, type: event.type }, 'event log listener threw');
          }
        }
      }
      if (rows.length < PAGE) return;
    }
  }
}
