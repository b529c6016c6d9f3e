import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Db } from './db.js';
import { createPgDb } from './pg.js';
import { createPgliteDb } from './pglite.js';

export type { Db, Queryable, QueryResult } from './db.js';

/** Server mode when a database URL is configured, else PGlite under `BSM_DATA_DIR/pgdata`. */
export function openDb(config: Config, logger: Logger): Promise<Db> {
  if (config.databaseUrl)
    return Promise.resolve(createPgDb(config.databaseUrl, config.dbMaxConnections, logger));
  return createPgliteDb(path.join(config.dataDir, 'pgdata'));
}
