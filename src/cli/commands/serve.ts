import { buildApp } from '../../api/app.js';
import { createLogger } from '../../logger.js';
import { createSystem } from '../../system.js';
import { cliConfig } from '../context.js';
import { onShutdown } from './shutdown.js';

export interface ServeOptions {
  migrate: boolean;
  worker: boolean;
}

/**
 * API and engine until SIGINT/SIGTERM, then a graceful stop. The engine runs tasks here unless
 * `--no-worker` or BSM_WORKER=false (then `bsm worker` processes run them).
 */
export async function serve(options: ServeOptions): Promise<void> {
  const config = cliConfig();
  const logger = createLogger(config.logLevel);
  const system = await createSystem(config, {
    logger,
    migrate: options.migrate,
    worker: options.worker && config.worker,
  });
  const app = await buildApp(system);
  await system.engine.start();
  onShutdown(logger, async () => {
    await app.close().catch((err: unknown) => logger.error({ err }, 'error closing HTTP server'));
    await system.close();
  });
  const address = await app.listen({ port: config.port, host: config.host });
  logger.info(
    { address, database: system.db.driver, worker: system.queue.workerRunning },
    'BSM-AgentOS API listening',
  );
}
