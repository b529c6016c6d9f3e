import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { BusEvent, EventType } from './events.js';

export type EventListener = (event: BusEvent) => void;

/**
 * Carries events to other nodes (Redis pub/sub when configured). A transport delivers remote
 * events through `onRemote`; the bus never re-publishes what it received, so there is no echo loop.
 */
export interface EventTransport {
  start(onRemote: (event: BusEvent) => void): Promise<void>;
  publish(event: BusEvent): Promise<void>;
  stop(): Promise<void>;
}

/**
 * In-process publish/subscribe with per-type counters. With a transport, events emitted here are
 * also sent to every other node, and theirs arrive here — each exactly once.
 */
export class EventBus {
  private readonly listeners = new Set<{ types?: ReadonlySet<EventType>; fn: EventListener }>();
  private readonly counts = new Map<EventType, number>();
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];
  /** Where this node's own events are also recorded (the event log, for resumable streams). */
  private journal: ((event: BusEvent) => void) | undefined;

  constructor(
    readonly nodeId: string,
    private readonly logger: Logger,
    private readonly transport?: EventTransport,
  ) {}

  async start(): Promise<void> {
    await this.transport?.start((event) => {
      if (event.nodeId === this.nodeId) return; // our own echo
      this.receive(event);
    });
  }

  async stop(): Promise<void> {
    await this.transport?.stop();
  }

  /** Records every event emitted here (not those received from other nodes: they record theirs). */
  setJournal(journal: (event: BusEvent) => void): void {
    this.journal = journal;
  }

  emit<P extends Record<string, unknown>>(
    type: EventType,
    payload: P,
    scope: { taskId?: string; ownerId?: string | null } = {},
  ): BusEvent<P> {
    const event: BusEvent<P> = {
      id: randomUUID(),
      type,
      payload,
      ...scope,
      nodeId: this.nodeId,
      at: new Date().toISOString(),
    };
    this.deliver(event as BusEvent);
    this.journal?.(event as BusEvent);
    if (this.transport) {
      this.transport.publish(event as BusEvent).catch((err: unknown) => {
        this.logger.warn({ err: (err as Error).message, type }, 'event not published to other nodes');
      });
    }
    return event;
  }

  /** Subscribes to some types (or all); returns the unsubscribe function. */
  subscribe(fn: EventListener, types?: readonly EventType[]): () => void {
    const entry = { fn, types: types?.length ? new Set(types) : undefined };
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** Resolves with the first matching event (or rejects after `timeoutMs`). */
  waitFor(predicate: (event: BusEvent) => boolean, timeoutMs: number): Promise<BusEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error('timed out waiting for event'));
      }, timeoutMs);
      const unsubscribe = this.subscribe((event) => {
        if (!predicate(event)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(event);
      });
    });
  }

  metrics(): { counts: Record<string, number>; listeners: number } {
    return { counts: Object.fromEntries(this.counts), listeners: this.listeners.size };
  }

  /**
   * Another node's event. Deduped by id (bounded memory): a transport that redelivers never doubles
   * an event. (This node's own events need no such check: their echo is dropped by node id.)
   */
  private receive(event: BusEvent): void {
    if (this.seen.has(event.id)) return;
    this.seen.add(event.id);
    this.seenOrder.push(event.id);
    if (this.seenOrder.length > 10_000) this.seen.delete(this.seenOrder.shift()!);
    this.deliver(event);
  }

  private deliver(event: BusEvent): void {
    this.counts.set(event.type, (this.counts.get(event.type) ?? 0) + 1);
    for (const { fn, types } of this.listeners) {
      if (types && !types.has(event.type)) continue;
      try {
        fn(event);
      } catch (err) {
        this.logger.error({ err, type: event.type }, 'event listener threw');
      }
    }
  }
}
