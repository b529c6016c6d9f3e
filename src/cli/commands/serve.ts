import { buildApp } from '../../api/app.js';
import { recordServerUrl } from '../../db/dataDirLock.js';
import { createLogger, type Logger } from '../../logger.js';
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
  const admin = await system.security.accounts.bootstrapAdmin(config.admin);
  if (admin.created) announceAdmin(admin.username, admin.generatedPassword, logger);
  const app = await buildApp(system);
  await system.engine.start();
  onShutdown(logger, async () => {
    await app.close().catch((err: unknown) => logger.error({ err }, 'error closing HTTP server'));
    await system.close();
  });
  const address = await app.listen({ port: config.port, host: config.host });
  // Other `bsm` commands on this data directory read where to send their requests (SPEC §10).
  if (system.db.driver === 'pglite') recordServerUrl(config.dataDir, address);
  logger.info(
    { address, console: `${address}/ui/`, database: system.db.driver, worker: system.queue.workerRunning },
    'BSM-AgentOS API listening',
  );
}

/**
 * A generated admin password goes to stdout once, never through the logger (log files and
 * shippers keep what passes through pino).
 */
function announceAdmin(username: string, generatedPassword: string | undefined, logger: Logger): void {
  if (!generatedPassword) {
    logger.info({ username }, 'created the first admin from BSM_ADMIN_*');
    return;
  }
  process.stdout.write(
    [
      '',
      '  First admin created. This password is shown only once; store it now.',
      `    username: ${username}`,
      `    password: ${generatedPassword}`,
      '  Log in: open the web console at /ui/ (or POST /api/auth/login);',
      '  change it: PATCH /api/users/:id {"password": "…"}',
      '',
      '',
    ].join('\n'),
  );
}
