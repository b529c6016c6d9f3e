import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../logger.js';
import type { Connection, Db } from './db.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Arbitrary constant shared by every node: "bsm-migrate" folded into a 32-bit int. */
const MIGRATION_LOCK_KEY = 0x62736d01;

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(`${dir}/${file}`, 'utf8');
      return {
        version: file.slice(0, 3),
        name: file.replace(/\.sql$/, ''),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock so that
 * several nodes starting at once migrate exactly once (the others wait, then find nothing to do).
 * An applied file whose checksum changed stops everything: the schema would no longer be what
 * the files say.
 */
export async function migrate(db: Db, logger: Logger, migrations = loadMigrations()): Promise<string[]> {
  return db.withAdvisoryLock(MIGRATION_LOCK_KEY, async (conn) => {
    await conn.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version VARCHAR(10) PRIMARY KEY,
      name VARCHAR(200) NOT NULL,
      checksum CHAR(64) NOT NULL,
      applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
    )`);
    const applied = await appliedChecksums(conn);
    for (const m of migrations) {
      const checksum = applied.get(m.version);
      if (checksum !== undefined && checksum !== m.checksum) {
        throw new MigrationError(
          `Migration ${m.name} was edited after it was applied (checksum differs); restore the file or add a new migration`,
        );
      }
    }
    const done: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await conn.exec('BEGIN');
      try {
        await conn.exec(m.sql);
        await conn.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          m.checksum,
        ]);
        await conn.exec('COMMIT');
      } catch (error) {
        await conn.exec('ROLLBACK').catch(() => undefined);
        throw new MigrationError(`Migration ${m.name} failed: ${(error as Error).message}`);
      }
      logger.info({ migration: m.name }, 'migration applied');
      done.push(m.name);
    }
    return done;
  });
}

async function appliedChecksums(conn: Connection): Promise<Map<string, string>> {
  const { rows } = await conn.query<{ version: string; checksum: string }>(
    'SELECT version, checksum FROM schema_migrations',
  );
  return new Map(rows.map((r) => [r.version, r.checksum]));
}
