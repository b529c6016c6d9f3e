import type { Logger } from '../logger.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../redis.js';
import type { EventTransport } from './eventBus.js';
import type { BusEvent } from './events.js';

/**
 * Fans events out to every node through one Redis pub/sub channel. Pub/sub needs a connection of
 * its own, hence two clients. While Redis is down, events still reach this node's listeners; other
 * nodes miss them (the database stays the source of truth — e.g. `GET /api/tasks/:id`).
 */
export class RedisEventTransport implements EventTransport {
  private readonly publisher: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly channel: string;
  private publishFailing = false;

  constructor(
    url: string,
    prefix: string,
    private readonly logger: Logger,
  ) {
    this.channel = `${prefix}events`;
    this.publisher = createRedisClient(url, logger, 'events-publisher');
    this.subscriber = createRedisClient(url, logger, 'events-subscriber');
  }

  /**
   * Waits at most `waitMs` for Redis: a node must start (and serve from PostgreSQL) even when
   * Redis is down; the clients keep reconnecting and subscribe as soon as they can.
   */
  async start(onRemote: (event: BusEvent) => void, waitMs = 2_000): Promise<void> {
    const ready = Promise.all([this.publisher.connect(), this.subscriber.connect()]).then(() =>
      this.subscribe(onRemote),
    );
    ready.catch((err: unknown) =>
      this.logger.warn({ err: (err as Error).message }, 'event fan-out not started'),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ready, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]).catch(
      () => undefined,
    );
    clearTimeout(timer);
  }

  private async subscribe(onRemote: (event: BusEvent) => void): Promise<void> {
    await this.subscriber.subscribe(this.channel, (message) => {
      let event: BusEvent;
      try {
        event = JSON.parse(message) as BusEvent;
      } catch {
        this.logger.warn('ignored a malformed event from Redis');
        return;
      }
      onRemote(event);
    });
  }

  async publish(event: BusEvent): Promise<void> {
    try {
      await this.publisher.publish(this.channel, JSON.stringify(event));
      if (this.publishFailing) this.logger.info('event fan-out resumed');
      this.publishFailing = false;
    } catch (err) {
      // Logged once per outage, not once per event.
      if (!this.publishFailing)
        this.logger.warn({ err: (err as Error).message }, 'event fan-out paused: Redis unavailable');
      this.publishFailing = true;
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([closeRedisClient(this.subscriber), closeRedisClient(this.publisher)]);
  }
}
