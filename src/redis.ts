import { createClient, type RedisClientType } from 'redis';
import type { Logger } from './logger.js';

export type RedisClient = RedisClientType;

/**
 * The seed's reconnect strategy: 100 ms × attempt, capped at 3 s. After 10 attempts we report
 * "giving up" once and keep retrying at the cap in the background, so Redis coming back is
 * picked up without a restart.
 */
export function reconnectDelay(attempt: number): number {
  return Math.min(attempt * 100, 3_000);
}

/**
 * A Redis client that never throws into the process: connection errors are logged once per
 * outage, commands fail fast while disconnected (no offline queue), and it reconnects forever.
 */
export function createRedisClient(url: string, logger: Logger, name: string): RedisClient {
  let down = false;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2_000,
      reconnectStrategy: (retries: number) => {
        if (retries === 10)
          logger.error({ client: name }, 'Redis: max reconnection attempts reached; retrying every 3 s');
        return reconnectDelay(retries + 1);
      },
    },
  }) as RedisClient;
  client.on('error', (err: Error) => {
    if (!down) logger.warn({ client: name, err: err.message }, 'Redis unavailable');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info({ client: name }, 'Redis reconnected');
    down = false;
  });
  return client;
}

/**
 * Starts connecting and waits at most `waitMs`: a node starts (and serves from PostgreSQL) even
 * when Redis is down; the client keeps reconnecting in the background. Resolves to whether it is
 * ready.
 */
export async function connectWithin(client: RedisClient, waitMs = 2_000): Promise<boolean> {
  const connected = client.connect().then(
    () => true,
    () => false, // only when closed before connecting; errors are logged by the client
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, waitMs, false);
  });
  const ready = await Promise.race([connected, timeout]);
  clearTimeout(timer);
  return ready;
}

/**
 * Closes gracefully when connected; a client still trying to reconnect is destroyed instead
 * (`close()` would wait for a connection that may never come).
 */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  if (client.isReady) await client.close().catch(() => client.destroy());
  else if (client.isOpen) client.destroy();
}
