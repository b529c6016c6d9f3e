import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logger.js';
import {
  assertChannelName,
  type Connection,
  type Db,
  type Queryable,
  type QueryOptions,
  type QueryResult,
} from './db.js';

/**
 * TIMESTAMP (without time zone) columns hold UTC: every session runs with timezone=UTC and we
 * parse them as UTC, so the value does not depend on the server's or the process's zone.
 */
const TIMESTAMP_OID = 1114;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === TIMESTAMP_OID) return (value: string) => new Date(`${value.replace(' ', 'T')}Z`);
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/** Pool settings from the seed: max 20 (DB_MAX_CONNECTIONS), idle 30 s, connect timeout 2 s. */
export function createPgDb(connectionString: string, maxConnections: number, logger: Logger): Db {
  const pool = new pg.Pool({
    connectionString,
    max: maxConnections,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 2_000,
    options: '-c timezone=UTC',
    types,
  });
  // An idle client losing its connection (e.g. PostgreSQL restarting) must not crash the process.
  pool.on('error', (err) => logger.warn({ err: err.message }, 'idle database connection lost'));

  let listener: ListenerConnection | undefined;

  /**
   * A client checked out for several statements. The pool listens for errors only on idle
   * clients: one lost while checked out (PostgreSQL restarting between two statements of a
   * transaction) would emit an unhandled 'error' and crash the process. It is logged here, and
   * a client that failed is destroyed on release rather than reused.
   */
  async function checkout(): Promise<{ client: pg.PoolClient; release(failed: boolean): void }> {
    const client = await pool.connect();
    let lost: Error | undefined;
    const onError = (err: Error) => {
      lost = err;
      logger.warn({ err: err.message }, 'database connection lost while in use');
    };
    client.on('error', onError);
    return {
      client,
      release(failed) {
        client.off('error', onError);
        client.release(failed || lost ? (lost ?? true) : undefined);
      },
    };
  }

  const db: Db = {
    driver: 'pg',
    async query<R>(
      sql: string,
      params?: readonly unknown[],
      options?: QueryOptions,
    ): Promise<QueryResult<R>> {
      const result = await pool.query(queryConfig(sql, params, options));
      return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const { client, release } = await checkout();
      let failed = false;
      try {
        await client.query('BEGIN');
        const value = await fn(clientQueryable(client));
        await client.query('COMMIT');
        return value;
      } catch (error) {
        failed = await client.query('ROLLBACK').then(
          () => false,
          () => true,
        );
        throw error;
      } finally {
        release(failed);
      }
    },
    async withAdvisoryLock<T>(key: number, fn: (conn: Connection) => Promise<T>): Promise<T> {
      const { client, release } = await checkout();
      let failed = true;
      try {
        await client.query('SELECT pg_advisory_lock($1)', [key]);
        try {
          const value = await fn(clientQueryable(client));
          failed = false;
          return value;
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [key]);
        }
      } finally {
        release(failed);
      }
    },
    async listen(channel, onMessage) {
      assertChannelName(channel);
      listener ??= new ListenerConnection(connectionString, logger);
      return listener.subscribe(channel, onMessage);
    },
    async notify(channel, payload) {
      assertChannelName(channel);
      await pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await listener?.close();
      await pool.end();
    },
  };
  return db;
}

/** Statement names derive from the SQL text, so one name always means one statement. */
const statementNames = new Map<string, string>();

function queryConfig(sql: string, params: readonly unknown[] | undefined, options: QueryOptions | undefined) {
  const values = params as unknown[] | undefined;
  if (!options?.prepare) return { text: sql, values };
  let name = statementNames.get(sql);
  if (!name) {
    name = `bsm_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    statementNames.set(sql, name);
  }
  return { text: sql, values, name };
}

function clientQueryable(client: pg.PoolClient): Connection {
  return {
    async exec(script: string) {
      // Without parameters node-postgres uses the simple protocol, which runs several statements.
      await client.query(script);
    },
    async query<R>(sql: string, params?: readonly unknown[], options?: QueryOptions) {
      const result = await client.query(queryConfig(sql, params, options));
      return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
    },
  };
}

/**
 * One dedicated connection for LISTEN. When it drops (PostgreSQL restart), it reconnects with
 * back-off and re-issues every LISTEN; subscribers are told nothing, so callers that must not
 * miss work also poll (the task queue does).
 */
class ListenerConnection {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();
  private closed = false;
  private attempt = 0;

  constructor(
    private readonly connectionString: string,
    private readonly logger: Logger,
  ) {}

  async subscribe(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    const first = !set;
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(onMessage);
    await this.ensureConnected();
    if (first) await this.client?.query(`LISTEN ${channel}`);
    return async () => {
      set.delete(onMessage);
      if (set.size === 0) {
        this.handlers.delete(channel);
        await this.client?.query(`UNLISTEN ${channel}`).catch(() => undefined);
      }
    };
  }

  private ensureConnected(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: 2_000 });
    client.on('notification', (msg) => {
      for (const handler of this.handlers.get(msg.channel) ?? []) handler(msg.payload ?? '');
    });
    client.on('error', (err) => {
      this.logger.warn({ err: err.message }, 'database listener connection lost');
      this.dropAndReconnect(client);
    });
    client.on('end', () => this.dropAndReconnect(client));
    await client.connect();
    for (const channel of this.handlers.keys()) await client.query(`LISTEN ${channel}`);
    this.client = client;
    this.attempt = 0;
  }

  private dropAndReconnect(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.closed) return;
    const retry = () => {
      if (this.closed || this.client) return;
      this.attempt += 1;
      this.ensureConnected().catch(() => setTimeout(retry, Math.min(100 * this.attempt, 3_000)).unref());
    };
    setTimeout(retry, 100).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
