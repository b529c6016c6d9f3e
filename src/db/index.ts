import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { acquireDataDirLock } from './dataDirLock.js';
import type { Db } from './db.js';
import { createPgDb } from './pg.js';
import { createPgliteDb } from './pglite.js';

export type { Db, Queryable, QueryResult } from './db.js';

/**
 * Server mode when a database URL is configured, else PGlite under `BSM_DATA_DIR/pgdata` — after
 * taking the directory's lock (one process per embedded database; released on close).
 */
export async function openDb(config: Config, logger: Logger): Promise<Db> {
  if (config.databaseUrl) return createPgDb(config.databaseUrl, config.dbMaxConnections, logger);
  const release = acquireDataDirLock(config.dataDir);
  try {
    const db = await createPgliteDb(path.join(config.dataDir, 'pgdata'));
    return {
      ...db,
      async close() {
        try {
          await db.close();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}
