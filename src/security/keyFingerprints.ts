/**
 * Same secrets on every node (SPEC §10). Nodes sharing a PostgreSQL must share JWT_SECRET (or
 * tokens fail across nodes) and ENCRYPTION_KEY (or workers cannot decrypt vault secrets). The
 * first node records a fingerprint of each — HMAC-SHA256 of a fixed constant under the key, so
 * the table never holds the key itself (a strong key cannot be recovered from its HMAC) — and
 * every later node compares its own, refusing to start with one line naming the variable.
 *
 * A node whose ENCRYPTION_KEYS lists the recorded key is rotating (`bsm keys rotate`): it records
 * its new current key, and nodes still on the old key then refuse until they are given the new one.
 */
import { createHmac } from 'node:crypto';
import { type Config, ConfigError } from '../config.js';
import type { Db } from '../db/index.js';
import type { ResolvedSecrets } from './localSecrets.js';

const CONSTANT = 'bsm-agentos key fingerprint v1';

export type FingerprintedKey = 'JWT_SECRET' | 'ENCRYPTION_KEY';

export function keyFingerprint(key: string): string {
  return createHmac('sha256', key).update(CONSTANT).digest('hex');
}

/**
 * Records this node's fingerprints when none are recorded, else checks them. Throws ConfigError
 * naming the variable whose key differs from the cluster's.
 */
export async function verifyKeyFingerprints(
  db: Db,
  config: Config,
  secrets: ResolvedSecrets,
  nodeId: string,
): Promise<void> {
  const { rows: table } = await db.query<{ present: boolean }>(
    `SELECT to_regclass('key_fingerprints') IS NOT NULL AS present`,
  );
  // `--no-migrate` on a database that predates migration 027: nothing to compare against yet.
  if (!table[0]?.present) return;
  const own: Record<FingerprintedKey, string> = {
    JWT_SECRET: keyFingerprint(secrets.jwtSecret),
    ENCRYPTION_KEY: keyFingerprint(secrets.encryptionKey),
  };
  const older = new Set(
    config.encryptionKeys.map((entry) => keyFingerprint(entry.slice(entry.indexOf(':') + 1))),
  );
  for (const name of ['JWT_SECRET', 'ENCRYPTION_KEY'] as const) {
    await db.query(
      `INSERT INTO key_fingerprints (name, fingerprint, recorded_by) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO NOTHING`,
      [name, own[name], nodeId],
    );
    const { rows } = await db.query<{ fingerprint: string }>(
      'SELECT fingerprint FROM key_fingerprints WHERE name = $1',
      [name],
    );
    const recorded = rows[0]?.fingerprint;
    if (recorded === own[name]) continue;
    if (name === 'ENCRYPTION_KEY' && recorded && older.has(recorded)) {
      await db.query(
        `UPDATE key_fingerprints SET fingerprint = $2, recorded_by = $3, updated_at = CURRENT_TIMESTAMP
          WHERE name = $1 AND fingerprint = $4`,
        [name, own[name], nodeId, recorded],
      );
      continue;
    }
    throw new ConfigError(name, mismatch(name, secrets, config));
  }
}

function mismatch(name: FingerprintedKey, secrets: ResolvedSecrets, config: Config): string {
  const generated = name === 'JWT_SECRET' ? secrets.generated.jwtSecret : secrets.generated.encryptionKey;
  const base =
    'differs from the key the other nodes of this database use (its fingerprint is in key_fingerprints)';
  return generated
    ? `${base}; this node generated its own in ${config.dataDir}/secrets.json. Set JWT_SECRET and ENCRYPTION_KEY on every node to the cluster's values (the first node's environment, or its BSM_DATA_DIR/secrets.json)`
    : `${base}; set ${name} to the value the other nodes use (see docs/SECURITY.md, "Same secrets on every node")`;
}
