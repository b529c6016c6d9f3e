/**
 * Test databases. Every suite runs against embedded PGlite, and also against the real PostgreSQL
 * when TEST_DATABASE_URL or DATABASE_URL is set (.ci/run sets it). Each suite creates its own
 * database `bsm_test_<random>` and drops only that one.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { type Config, loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/db.js';
import { createPgDb } from '../../src/db/pg.js';
import { createPgliteDb } from '../../src/db/pglite.js';
import { createLogger } from '../../src/logger.js';

export type DbTarget = 'pglite' | 'pg';

export const serverDatabaseUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
export const serverRedisUrl = process.env.TEST_REDIS_URL || process.env.REDIS_URL || undefined;

/** The targets every database suite runs on. */
export const dbTargets: DbTarget[] = serverDatabaseUrl ? ['pglite', 'pg'] : ['pglite'];

export const quietLogger = createLogger('silent');

export interface TestDatabase {
  target: DbTarget;
  /** Connection string of the created database (pg only). */
  url: string | undefined;
  db: Db;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates an empty PostgreSQL database and returns its URL and a function that drops it. */
export async function createServerDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!serverDatabaseUrl) throw new Error('no server database configured');
  const name = `bsm_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverDatabaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: withDatabase(serverDatabaseUrl, name),
    async drop() {
      const c = new pg.Client({ connectionString: serverDatabaseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

let template: Blob | undefined;

/** The fresh cluster test/globalSetup.ts dumped (read once per test process), if there is one. */
function pgliteTemplate(): Blob | undefined {
  if (template) return template;
  const file = inject('pgliteTemplate');
  if (file) template = new Blob([readFileSync(file)]);
  return template;
}

export async function createTestDatabase(target: DbTarget): Promise<TestDatabase> {
  if (target === 'pglite') {
    const db = await createPgliteDb(undefined, { loadDataDir: pgliteTemplate() });
    return { target, url: undefined, db, drop: () => db.close() };
  }
  const server = await createServerDatabase();
  const db = createPgDb(server.url, 10, quietLogger);
  return {
    target,
    url: server.url,
    db,
    async drop() {
      // The System under test usually closed the pool already; a second end() throws, and must
      // not keep the database from being dropped.
      await db.close().catch(() => undefined);
      await server.drop();
    },
  };
}

/** A Redis key prefix of its own, so suites sharing one Redis never see each other's keys. */
export function testRedisPrefix(): string {
  return `bsm_test_${randomBytes(6).toString('hex')}:`;
}

/** A Config for tests: defaults plus overrides, never the developer's own .env. */
export function testConfig(env: Record<string, string | undefined> = {}): Config {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bsm-test-'));
  return loadConfig({
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    BSM_DATA_DIR: dataDir,
    BSM_REDIS_PREFIX: testRedisPrefix(),
    ...env,
  });
}
