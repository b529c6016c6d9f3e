/**
 * The cache contract (SPEC §4): JSON values under string keys, each with a time to live. Keys
 * given here are relative; an implementation stores them under its deployment prefix (`bsm:`),
 * so `flush` and pattern deletion never reach another deployment's keys on a shared Redis.
 *
 * Implementations may throw (Redis down, …). `CacheService` is the layer that turns every failure
 * into a logged, counted miss — callers of the service never see a cache error.
 */

/** The seed's default: one hour. */
export const DEFAULT_TTL_SECONDS = 3600;

export interface Cache {
  readonly kind: 'memory' | 'redis';
  /** The stored value, or null when absent or expired. */
  get<T = unknown>(key: string): Promise<T | null>;
  /** Stores `value` as JSON; `undefined` is not a JSON value and is refused. */
  set(key: string, value: unknown, ttlSeconds?: number): Promise<void>;
  /** Removes the keys; resolves with how many existed. */
  del(...keys: string[]): Promise<number>;
  exists(key: string): Promise<boolean>;
  /** Removes every key matching a glob (`agents:list*`) under the prefix; resolves with the count. */
  deletePattern(pattern: string): Promise<number>;
  /** Removes every key under the prefix (and only those); resolves with the count. */
  flush(): Promise<number>;
  /** True while operations can succeed (always for memory; the connection state for Redis). */
  readonly available: boolean;
  /** Throws when the backend does not answer (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function serialize(key: string, value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`cache value for ${key} is not JSON-serialisable`);
  return json;
}

export function ttlOrDefault(ttlSeconds: number | undefined): number {
  const ttl = ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1)
    throw new RangeError(`cache TTL must be a positive integer, got ${ttl}`);
  return ttl;
}

/**
 * A Redis-style glob (`*`, `?`, `[…]`, `\` escapes) as a RegExp, so the in-process cache matches
 * exactly the keys `SCAN MATCH` would.
 */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '\\' && i + 1 < glob.length) out += escapeRegExp(glob[++i]);
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) out += '\\[';
      else {
        const body = glob.slice(i + 1, end);
        out += `[${body.startsWith('^') ? `^${escapeClass(body.slice(1))}` : escapeClass(body)}]`;
        i = end;
      }
    } else out += escapeRegExp(c);
  }
  return new RegExp(`^${out}$`, 's');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function escapeClass(s: string): string {
  return s.replace(/[\]\\^]/g, '\\$&');
}
