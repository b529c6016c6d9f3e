import type { Logger } from '../logger.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../redis.js';
import { withTimeout } from './redis.js';

/** What one node tells the others to drop from their in-process near-caches. */
export interface InvalidationMessage {
  nodeId: string;
  keys: string[];
  patterns: string[];
}

export interface InvalidationHandlers {
  /** A node dropped these keys (this node's own messages arrive too). */
  onMessage(message: InvalidationMessage): void;
  /** The subscription was lost and is back: messages may have been missed meanwhile. */
  onResync(): void;
}

/**
 * Cache invalidations between nodes over Redis pub/sub, on the channel `<prefix>cache:invalidate`.
 * Subscribing needs its own connection (a subscribed client can run no other command), so this
 * holds one; publishing goes through the cache's client.
 */
export class RedisInvalidationChannel {
  readonly channel: string;
  private readonly subscriber: RedisClient;
  private subscribed = false;
  private closed = false;

  constructor(
    url: string,
    prefix: string,
    private readonly publisher: RedisClient,
    private readonly logger: Logger,
  ) {
    this.channel = `${prefix}cache:invalidate`;
    this.subscriber = createRedisClient(url, logger, 'cache-invalidation');
  }

  /** True while invalidations from other nodes can reach this one. */
  get connected(): boolean {
    return this.subscribed && this.subscriber.isReady;
  }

  async start(handlers: InvalidationHandlers, waitMs = 2_000): Promise<void> {
    const listener = (raw: string) => {
      const message = parse(raw);
      if (message) handlers.onMessage(message);
      else this.logger.warn({ channel: this.channel }, 'ignored a malformed cache invalidation');
    };
    // node-redis re-subscribes by itself after a reconnect; we only need to resync the near-cache.
    this.subscriber.on('ready', () => {
      if (this.subscribed) handlers.onResync();
    });
    const subscribe = async () => {
      await this.subscriber.connect();
      await this.subscriber.subscribe(this.channel, listener);
      this.subscribed = true;
    };
    const started = subscribe().catch((err: unknown) => {
      if (!this.closed)
        this.logger.warn({ err: (err as Error).message }, 'cache invalidation channel failed');
    });
    await withTimeout(started, waitMs).catch(() => undefined);
  }

  async publish(message: InvalidationMessage): Promise<void> {
    await withTimeout(this.publisher.publish(this.channel, JSON.stringify(message)), 1_000);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeRedisClient(this.subscriber);
  }
}

function parse(raw: string): InvalidationMessage | undefined {
  try {
    const m = JSON.parse(raw) as Partial<InvalidationMessage>;
    const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
    if (typeof m.nodeId !== 'string' || !strings(m.keys) || !strings(m.patterns)) return undefined;
    return { nodeId: m.nodeId, keys: m.keys, patterns: m.patterns };
  } catch {
    return undefined;
  }
}
