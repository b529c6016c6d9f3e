import type { Command } from 'commander';
import { type Config, ConfigError, environmentWithDotenv, loadConfig } from '../config.js';
import { lockHolder } from '../db/dataDirLock.js';
import { openDb } from '../db/index.js';
import { MigrationError, migrate } from '../db/migrate.js';
import type { Page } from '../domain.js';
import { AppError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createSystem, type System, type SystemOptions } from '../system.js';
import { ApiClient } from './apiClient.js';
import { CredentialStore } from './credentials.js';

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

/**
 * `bsm migrate`: only the database, not a System — a System starts components (the audit
 * chainer, the event log, key fingerprints) that need the very tables a first migration creates.
 */
export async function migrateOnly(): Promise<string[]> {
  const config = cliConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  const db = await openDb(config, logger);
  try {
    return await migrate(db, logger);
  } finally {
    await db.close();
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
 * The server to talk to, when the command should go over HTTP, in this order: `--url` (or
 * `BSM_URL`) with `--token` (or `BSM_TOKEN`) or the session `bsm login` saved for it; the
 * `bsm serve` holding the embedded database, when logged in there; the server last logged in to.
 * Undefined → the command opens the database itself (and stops, naming the holder and what to
 * run, when another process has the embedded database open).
 */
export function remoteClient(command: Command): ApiClient | undefined {
  const opts = command.optsWithGlobals() as { url?: string; token?: string };
  const config = cliConfig();
  const store = new CredentialStore(config.cliCredentialsFile);
  const token = opts.token ?? config.cliToken;
  const url = opts.url ?? config.cliUrl;
  if (url) return new ApiClient(url, token ?? (store.get(url) ? store.tokenSource(url) : undefined));
  if (!config.databaseUrl) {
    const server = lockHolder(config.dataDir)?.url;
    if (server && store.get(server)) return new ApiClient(server, token ?? store.tokenSource(server));
  }
  const current = store.current();
  return current ? new ApiClient(current.url, token ?? store.tokenSource(current.url)) : undefined;
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

/** The options every `list` command takes: `--limit`, `--offset`, `--json`. */
export function pageOptions(command: Command): Command {
  return command
    .option('--limit <n>', 'page size', (v) => Number(v), 50)
    .option('--offset <n>', 'skip', (v) => Number(v), 0)
    .option('--json', 'print JSON');
}

/** Prints a page: as JSON, or one line per item and the count. */
export function printPage<T>(page: Page<T>, json: boolean, line: (item: T) => string): void {
  print(page, json, () => [...page.items.map(line), `(${page.items.length} of ${page.total})`].join('\n'));
}
