import type { Queryable } from '../db/index.js';
import { translateDbError, validation } from '../errors.js';

export interface SecretRow {
  id: string;
  name: string;
  ciphertext: string;
  created_by: string | null;
  updated_by: string | null;
  created_at: Date;
  updated_at: Date;
}

/** What may leave the repository in a listing: never the ciphertext, let alone the value. */
export interface SecretInfo {
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

const toInfo = (row: Pick<SecretRow, 'name' | 'created_at' | 'updated_at'>): SecretInfo => ({
  name: row.name,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** The `secrets` table: ciphertexts only (its CHECK constraint refuses anything else). */
export class SecretRepository {
  constructor(private readonly db: Queryable) {}

  async list(): Promise<SecretInfo[]> {
    const { rows } = await this.db.query<SecretRow>(
      'SELECT name, created_at, updated_at FROM secrets ORDER BY name',
    );
    return rows.map(toInfo);
  }

  async findCiphertext(name: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ ciphertext: string }>(
      'SELECT ciphertext FROM secrets WHERE name = $1',
      [name],
    );
    return rows[0]?.ciphertext;
  }

  /** Creates or replaces; `created` tells which (xmax = 0 only for a freshly inserted row). */
  async upsert(
    name: string,
    ciphertext: string,
    userId: string | null,
  ): Promise<{ info: SecretInfo; created: boolean }> {
    try {
      const { rows } = await this.db.query<SecretRow & { created: boolean }>(
        `INSERT INTO secrets (name, ciphertext, created_by, updated_by) VALUES ($1, $2, $3, $3)
         ON CONFLICT (name) DO UPDATE
           SET ciphertext = EXCLUDED.ciphertext, updated_by = EXCLUDED.updated_by, updated_at = CURRENT_TIMESTAMP
         RETURNING name, created_at, updated_at, (xmax = 0) AS created`,
        [name, ciphertext, userId],
      );
      return { info: toInfo(rows[0]), created: rows[0].created };
    } catch (error) {
      translateDbError(error, () => validation('Secret could not be stored'));
    }
  }

  async delete(name: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM secrets WHERE name = $1', [name]);
    return rowCount > 0;
  }
}
