import { buildApp } from '../../api/app.js';
import { createLogger, type Logger } from '../../logger.js';
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
  const admin = await system.security.accounts.bootstrapAdmin(config.admin);
  if (admin.created) announceAdmin(admin.username, admin.generatedPassword, logger);
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
      '  Log in: POST /api/auth/login; change it: PATCH /api/users/:id {"password": "…"}',
      '',
      '',
    ].join('\n'),
  );
}
