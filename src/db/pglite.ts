import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { assertChannelName, type Db, type Queryable, type QueryResult } from './db.js';

/** See pg.ts: TIMESTAMP columns hold UTC. */
const parsers = {
  [types.TIMESTAMP]: (value: string) => new Date(`${value.replace(' ', 'T')}Z`),
};

interface PGliteLike {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[]; affectedRows?: number }>;
}

function wrap(target: PGliteLike): Queryable {
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const result = await target.query<R>(sql, params as unknown[]);
      return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
    },
  };
}

export interface PgliteOptions {
  /**
   * Start from this `dumpDataDir()` tarball instead of running initdb (about 0.5 s instead of
   * 2–3 s; the test suites start every in-memory database from one fresh cluster's dump).
   */
  loadDataDir?: Blob;
}

/**
 * The embedded default: real PostgreSQL compiled to WASM, files under `dataDir`
 * (or in memory when dataDir is undefined — used by tests).
 */
export async function createPgliteDb(dataDir: string | undefined, options: PgliteOptions = {}): Promise<Db> {
  if (dataDir) mkdirSync(path.dirname(dataDir), { recursive: true });
  const pglite = await PGlite.create(dataDir, { parsers, loadDataDir: options.loadDataDir });
  await pglite.exec(`SET timezone = 'UTC'`);
  const base = wrap(pglite);
  return {
    driver: 'pglite',
    query: base.query,
    transaction: (fn) => pglite.transaction((tx) => fn(wrap(tx))),
    // PGlite is one connection in one process: its own mutex already serialises us.
    withAdvisoryLock: (_key, fn) =>
      fn({
        query: base.query,
        async exec(script) {
          await pglite.exec(script);
        },
      }),
    async listen(channel, onMessage) {
      assertChannelName(channel);
      const unsubscribe = await pglite.listen(channel, onMessage);
      return () => unsubscribe();
    },
    async notify(channel, payload) {
      assertChannelName(channel);
      await pglite.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    async ping() {
      await pglite.query('SELECT 1');
    },
    close: () => pglite.close(),
  };
}
