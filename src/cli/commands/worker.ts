import { createLogger } from '../../logger.js';
import { createSystem } from '../../system.js';
import { cliConfig } from '../context.js';
import { onShutdown } from './shutdown.js';

/** The engine without HTTP: runs tasks from the shared queue until SIGINT/SIGTERM. */
export async function worker(options: { migrate: boolean }): Promise<void> {
  const config = cliConfig();
  const logger = createLogger(config.logLevel);
  const system = await createSystem(config, { logger, migrate: options.migrate, worker: true });
  await system.engine.start();
  onShutdown(logger, () => system.close());
  logger.info(
    { nodeId: system.nodeId, maxConcurrent: config.maxConcurrentTasks, database: system.db.driver },
    'BSM-AgentOS worker running',
  );
}
