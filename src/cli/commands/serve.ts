import { buildApp } from '../../api/app.js';
import { createLogger } from '../../logger.js';
import { createSystem } from '../../system.js';
import { cliConfig } from '../context.js';

export interface ServeOptions {
  migrate: boolean;
  worker: boolean;
}

/** API (and, unless --no-worker, the engine) until SIGINT/SIGTERM, then a graceful stop. */
export async function serve(options: ServeOptions): Promise<void> {
  const config = cliConfig();
  const logger = createLogger(config.logLevel);
  const system = await createSystem(config, { logger, migrate: options.migrate });
  const app = await buildApp(system);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await app.close().catch((err: unknown) => logger.error({ err }, 'error closing HTTP server'));
    await system.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  const address = await app.listen({ port: config.port, host: config.host });
  logger.info({ address, database: system.db.driver }, 'BSM-AgentOS API listening');
}
