import type { Command } from 'commander';
import { type Config, ConfigError, environmentWithDotenv, loadConfig } from '../config.js';
import { MigrationError } from '../db/migrate.js';
import { AppError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createSystem, type System, type SystemOptions } from '../system.js';
import { ApiClient } from './apiClient.js';

export function cliConfig(): Config {
  return loadConfig(environmentWithDotenv());
}

/**
 * Opens a System for one CLI command and closes it afterwards. Commands that are not `serve` log
 * only warnings, so their own output stays readable.
 */
export async function withSystem<T>(
  fn: (system: System) => Promise<T>,
  options: SystemOptions = {},
): Promise<T> {
  const config = cliConfig();
  const logger =
    options.logger ?? createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  const system = await createSystem(config, { ...options, logger });
  try {
    return await fn(system);
  } finally {
    await system.close();
  }
}

/** Known failures print one line and exit 1; anything else is a bug and shows its stack. */
export function reportAndExit(error: unknown): never {
  if (error instanceof ConfigError) console.error(`bsm: configuration error: ${error.message}`);
  else if (error instanceof AppError) console.error(`bsm: ${error.code}: ${error.message}`);
  else if (error instanceof MigrationError) console.error(`bsm: ${error.message}`);
  else console.error(error);
  process.exit(1);
}

/**
 * The server to talk to, when the command should go over HTTP: `--url`/`--token` (global options)
 * or `BSM_URL`/`BSM_TOKEN`. Undefined → the command opens the database itself.
 */
export function remoteClient(command: Command): ApiClient | undefined {
  const opts = command.optsWithGlobals() as { url?: string; token?: string };
  const config = cliConfig();
  const url = opts.url ?? config.cliUrl;
  return url ? new ApiClient(url, opts.token ?? config.cliToken) : undefined;
}

/** Runs a command either against a server (when one is configured) or against the database. */
export function viaServerOrDb<T>(
  command: Command,
  remote: (client: ApiClient) => Promise<T>,
  local: (system: System) => Promise<T>,
): Promise<T> {
  const client = remoteClient(command);
  return client ? remote(client) : withSystem(local);
}

export function print(value: unknown, json: boolean, human: () => string): void {
  console.log(json ? JSON.stringify(value, null, 2) : human());
}
