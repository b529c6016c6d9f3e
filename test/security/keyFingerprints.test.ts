/**
 * Same secrets on every node (SPEC §10, issue #9 item 14): the first node on a PostgreSQL records
 * fingerprints of JWT_SECRET and ENCRYPTION_KEY; a node with other keys refuses to start naming
 * the variable — including a node that generated its own keys because none were set.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { keyFingerprint } from '../../src/security/keyFingerprints.js';
import { createSystem, type System } from '../../src/system.js';
import { cliBuilt } from '../helpers/cli.js';
import { createServerDatabase, quietLogger, serverDatabaseUrl, testConfig } from '../helpers/db.js';
import { BSM, type Child, clusterSecrets, spawnNode } from '../helpers/processes.js';

describe.runIf(serverDatabaseUrl)('key fingerprints on one PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createServerDatabase>>;
  const keys = clusterSecrets();
  const open: System[] = [];
  const node = async (env: Record<string, string>) => {
    const system = await createSystem(testConfig({ DATABASE_URL: database.url, ...env }), {
      logger: quietLogger,
      worker: false,
    });
    open.push(system);
    return system;
  };
  beforeAll(async () => {
    database = await createServerDatabase();
  });
  afterAll(async () => {
    for (const s of open) await s.close();
    await database?.drop();
  });

  it('records fingerprints, never the keys, and lets a node with the same keys start', async () => {
    const first = await node(keys);
    const { rows } = await first.db.query<{ name: string; fingerprint: string }>(
      'SELECT name, fingerprint FROM key_fingerprints ORDER BY name',
    );
    expect(rows).toEqual([
      { name: 'ENCRYPTION_KEY', fingerprint: keyFingerprint(keys.ENCRYPTION_KEY) },
      { name: 'JWT_SECRET', fingerprint: keyFingerprint(keys.JWT_SECRET) },
    ]);
    expect(JSON.stringify(rows)).not.toContain(keys.JWT_SECRET);
    expect(JSON.stringify(rows)).not.toContain(keys.ENCRYPTION_KEY);
    await expect(node(keys)).resolves.toBeDefined();
  });

  it('refuses a node whose JWT_SECRET or ENCRYPTION_KEY differs, naming the variable', async () => {
    const other = clusterSecrets();
    const jwt = await node({ ...keys, JWT_SECRET: other.JWT_SECRET }).catch((e: unknown) => e);
    expect(jwt).toBeInstanceOf(ConfigError);
    expect((jwt as ConfigError).variable).toBe('JWT_SECRET');
    const enc = await node({ ...keys, ENCRYPTION_KEY: other.ENCRYPTION_KEY }).catch((e: unknown) => e);
    expect(enc).toBeInstanceOf(ConfigError);
    expect((enc as ConfigError).variable).toBe('ENCRYPTION_KEY');
    expect((enc as Error).message).toContain('set ENCRYPTION_KEY to the value the other nodes use');
  });

  it('follows a key rotation: the rotating node records its new key, and old-key nodes then refuse', async () => {
    const next = clusterSecrets().ENCRYPTION_KEY;
    await node({ ...keys, ENCRYPTION_KEY: next, ENCRYPTION_KEYS: `old:${keys.ENCRYPTION_KEY}` });
    const stale = await node(keys).catch((e: unknown) => e);
    expect((stale as ConfigError).variable).toBe('ENCRYPTION_KEY');
    await expect(node({ ...keys, ENCRYPTION_KEY: next })).resolves.toBeDefined();
  });
});

describe.runIf(serverDatabaseUrl && cliBuilt)(
  'server mode without JWT_SECRET/ENCRYPTION_KEY (processes)',
  () => {
    let database: Awaited<ReturnType<typeof createServerDatabase>>;
    const children: Child[] = [];
    beforeAll(async () => {
      database = await createServerDatabase();
    });
    afterAll(async () => {
      for (const c of children) await c.stop('SIGKILL');
      await database?.drop();
    });
    const worker = (env: Record<string, string> = {}) => {
      const child = spawnNode(BSM, ['worker'], { DATABASE_URL: database.url, LOG_LEVEL: 'info', ...env });
      children.push(child);
      return child;
    };

    it('lets the first node generate its keys, refuses a second that generated others, accepts the first node’s keys', {
      timeout: 120_000,
    }, async () => {
      const firstDir = mkdtempSync(path.join(tmpdir(), 'bsm-first-'));
      const first = worker({ BSM_DATA_DIR: firstDir });
      await first.waitFor(/worker running/, 60_000);

      const second = worker();
      const code = await new Promise<number | null>((resolve) => second.process.once('exit', resolve));
      expect(code).toBe(1);
      const refusal = second.output().trim().split('\n').filter(Boolean);
      expect(refusal.at(-1)).toMatch(/^bsm: configuration error: JWT_SECRET: differs from the key/);
      expect(refusal.at(-1)).toContain('generated its own');

      // The first node's generated keys, given to a third node, let it join.
      const stored = JSON.parse(readFileSync(path.join(firstDir, 'secrets.json'), 'utf8'));
      const third = worker({ JWT_SECRET: stored.jwtSecret, ENCRYPTION_KEY: stored.encryptionKey });
      await third.waitFor(/worker running/, 60_000);
    });
  },
);
