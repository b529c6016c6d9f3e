/**
 * The one database interface the rest of the code sees. Two drivers implement it: node-postgres
 * (server mode) and PGlite (embedded default). The same SQL runs on both.
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Prepare the statement once per connection and reuse its plan (node-postgres named
   * statements; PGlite ignores it). For hot, fixed statements only: the queue's. Planning its
   * multi-CTE statements on every call cost more than running them — preparing them raised the
   * queue benchmark from ~0.3× to ~0.7× graphile-worker's jobs/s (docs/BENCHMARKS.md).
   */
  prepare?: boolean;
}

/** Anything that runs parameterised SQL: the database itself or an open transaction. */
export interface Queryable {
  query<R = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<R>>;
}

/** A single connection that can also run a multi-statement SQL script (migrations). */
export interface Connection extends Queryable {
  exec(script: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly driver: 'pg' | 'pglite';
  /** Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` holding a session-level advisory lock on one connection (the migration runner uses
   * it so that several nodes starting together migrate once).
   */
  withAdvisoryLock<T>(key: number, fn: (conn: Connection) => Promise<T>): Promise<T>;
  /** Subscribes to a NOTIFY channel; the returned function unsubscribes. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Channel names are identifiers in LISTEN; only our own fixed names are ever passed. */
export function assertChannelName(channel: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`Invalid channel name: ${channel}`);
}
