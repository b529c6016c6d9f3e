/**
 * Small helpers shared by the repositories. Column names only ever come from the fixed maps the
 * repositories declare — never from input (the seed's `update` built SQL from input keys).
 */

import type { Queryable } from '../db/index.js';
import type { Page, PageRequest } from '../domain.js';
import { validation } from '../errors.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export function pageBounds(req: PageRequest = {}): { limit: number; offset: number } {
  const limit = Math.min(Math.max(Math.trunc(req.limit ?? DEFAULT_LIMIT), 1), MAX_LIMIT);
  const offset = Math.max(Math.trunc(req.offset ?? 0), 0);
  return { limit, offset };
}

/** A patchable field: the database column and whether the value is stored as JSONB. */
export interface ColumnSpec {
  column: string;
  json?: boolean;
}

/**
 * Builds `col = $n` assignments for the keys of `patch` that appear in `columns`. An unknown key is
 * a 400 naming it, so a typo never silently does nothing and a hostile key never reaches SQL.
 */
export function buildAssignments(
  columns: Readonly<Record<string, ColumnSpec>>,
  patch: Record<string, unknown>,
  firstParam = 1,
): { assignments: string[]; values: unknown[] } {
  const assignments: string[] = [];
  const values: unknown[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const spec = Object.hasOwn(columns, key) ? columns[key] : undefined;
    if (!spec) throw validation(`Unknown field: ${key}`, { field: key });
    assignments.push(`${spec.column} = $${firstParam + values.length}`);
    values.push(spec.json ? JSON.stringify(value) : value);
  }
  return { assignments, values };
}

/** Accumulates `AND`-ed conditions with numbered parameters. */
export class Where {
  private readonly conditions: string[] = [];
  readonly params: unknown[] = [];

  /** `fragment` uses `?` for the one parameter, e.g. `status = ?`. */
  add(fragment: string, value: unknown): this {
    if (value === undefined || value === null || value === '') return this;
    this.params.push(value);
    this.conditions.push(fragment.replace('?', `$${this.params.length}`));
    return this;
  }

  toString(): string {
    return this.conditions.length ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }

  next(): string {
    return `$${this.params.length + 1}`;
  }
}

/**
 * One page of `table` under `where`, ordered by `orderBy` (a fixed string from the caller), with
 * the total count. The two queries run in one snapshot-free pair: a concurrent write may make
 * `total` off by one, which a paginating client tolerates.
 */
export async function selectPage<Row, T>(
  db: Queryable,
  table: string,
  where: Where,
  orderBy: string,
  req: PageRequest,
  map: (row: Row) => T,
): Promise<Page<T>> {
  const { limit, offset } = pageBounds(req);
  const params = [...where.params, limit, offset];
  const n = where.params.length;
  const [rows, count] = await Promise.all([
    db.query<Row>(
      `SELECT * FROM ${table} ${where} ORDER BY ${orderBy} LIMIT $${n + 1} OFFSET $${n + 2}`,
      params,
    ),
    db.query<{ total: number }>(`SELECT count(*)::int AS total FROM ${table} ${where}`, where.params),
  ]);
  return { items: rows.rows.map(map), total: count.rows[0]?.total ?? 0, limit, offset };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => UUID_RE.test(value);

/**
 * `input`/`output` leave the API as JSON objects (SPEC §14). Rows hold JSONB objects or, in
 * `agent_executions` (the seed's TEXT columns), serialised JSON or a model's plain answer text:
 * serialised objects are parsed, plain text becomes `{text}`, any other value `{value}`.
 */
export function asJsonObject(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') {
    const trimmed = value.trimStart();
    if (trimmed.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(value);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
          return parsed as Record<string, unknown>;
      } catch {
        // Not JSON after all: a model's answer that happens to start with a brace.
      }
    }
    return { text: value };
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  return { value };
}
