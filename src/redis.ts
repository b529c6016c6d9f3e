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
