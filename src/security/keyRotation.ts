/**
 * `bsm keys rotate`: re-encrypts every stored ciphertext under the current key, so a retired key
 * can then be dropped from ENCRYPTION_KEYS. Every encrypted column is listed here — the one place
 * a new encrypted column must be added for rotation (and the compliance check) to cover it.
 */
import type { Queryable } from '../db/index.js';
import type { CryptoService } from './crypto.js';

export interface EncryptedColumn {
  /** Fixed identifiers (never input): they are interpolated into SQL. */
  table: string;
  idColumn: string;
  column: string;
  /** Column holding what the encryption context is built from, and how. */
  contextColumn: string;
  context: (value: string) => string;
}

export const ENCRYPTED_COLUMNS: readonly EncryptedColumn[] = [
  {
    table: 'secrets',
    idColumn: 'id',
    column: 'ciphertext',
    contextColumn: 'name',
    context: (name) => `secret:${name}`,
  },
];

export interface ColumnRotation {
  table: string;
  column: string;
  total: number;
  rotated: number;
  alreadyCurrent: number;
  /** Rows that could not be decrypted (unknown key or tampered): left as they are. */
  failed: number;
  failedIds: string[];
}

export interface RotationReport {
  currentKeyId: string;
  columns: ColumnRotation[];
  rotated: number;
  failed: number;
}

const BATCH = 200;

interface Row {
  id: string;
  value: string | null;
  ctx: string;
}

async function rotateColumn(
  db: Queryable,
  crypto: CryptoService,
  c: EncryptedColumn,
): Promise<ColumnRotation> {
  const result: ColumnRotation = {
    table: c.table,
    column: c.column,
    total: 0,
    rotated: 0,
    alreadyCurrent: 0,
    failed: 0,
    failedIds: [],
  };
  let after = '';
  for (;;) {
    const { rows } = await db.query<Row>(
      `SELECT ${c.idColumn}::text AS id, ${c.column} AS value, ${c.contextColumn}::text AS ctx
         FROM ${c.table} WHERE ${c.idColumn}::text > $1 ORDER BY ${c.idColumn}::text LIMIT $2`,
      [after, BATCH],
    );
    for (const row of rows) {
      if (row.value === null) continue;
      result.total += 1;
      let next: string;
      try {
        if (crypto.keyIdOf(row.value) === crypto.currentKeyId) {
          result.alreadyCurrent += 1;
          continue;
        }
        next = crypto.reencrypt(row.value, c.context(row.ctx));
      } catch {
        result.failed += 1;
        result.failedIds.push(row.id);
        continue;
      }
      // Compare-and-set: a row rewritten meanwhile already carries the current key.
      const updated = await db.query(
        `UPDATE ${c.table} SET ${c.column} = $1 WHERE ${c.idColumn}::text = $2 AND ${c.column} = $3`,
        [next, row.id, row.value],
      );
      if (updated.rowCount > 0) result.rotated += 1;
      else result.alreadyCurrent += 1;
    }
    if (rows.length < BATCH) return result;
    after = rows[rows.length - 1].id;
  }
}

export async function rotateKeys(
  db: Queryable,
  crypto: CryptoService,
  columns: readonly EncryptedColumn[] = ENCRYPTED_COLUMNS,
): Promise<RotationReport> {
  const results: ColumnRotation[] = [];
  for (const c of columns) results.push(await rotateColumn(db, crypto, c));
  return {
    currentKeyId: crypto.currentKeyId,
    columns: results,
    rotated: results.reduce((n, r) => n + r.rotated, 0),
    failed: results.reduce((n, r) => n + r.failed, 0),
  };
}
