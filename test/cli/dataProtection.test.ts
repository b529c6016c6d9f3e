import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKeyId } from '../../src/security/crypto.js';
import { createSystem } from '../../src/system.js';
import { createServerDatabase, dbTargets, quietLogger, testConfig } from '../helpers/db.js';

const run = promisify(execFile);
const CLI = path.resolve('dist/cli/index.js');

/** Runs `bsm` as an operator would, with only the environment given (never the test's own). */
async function bsm(args: string[], env: Record<string, string>, cwd: string) {
  try {
    const { stdout } = await run(process.execPath, [CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', NODE_ENV: 'test', ...env },
    });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.runIf(existsSync(CLI)).each(dbTargets)('bsm data-protection commands on %s', (target) => {
  const oldKey = randomBytes(32).toString('hex');
  const newKey = randomBytes(32).toString('hex');
  let env: Record<string, string>;
  let cwd: string;
  let drop = async () => {};
  beforeAll(async () => {
    const config = testConfig();
    cwd = config.dataDir;
    env = { BSM_DATA_DIR: config.dataDir, ENCRYPTION_KEY: oldKey };
    if (target === 'pg') {
      const server = await createServerDatabase();
      env.DATABASE_URL = server.url;
      drop = server.drop;
    }
    const system = await createSystem(testConfig(env), { logger: quietLogger });
    try {
      await system.vault.put('openai', 'sk-cli-1');
      for (let i = 0; i < 3; i++) await system.audit.append({ action: 'task.create', resourceType: 'task' });
    } finally {
      await system.close();
    }
  });
  afterAll(() => drop());

  it('`bsm audit verify` exits 0 on an intact chain and 1 naming the edited row', async () => {
    const ok = await bsm(['audit', 'verify', '--json'], env, cwd);
    expect(ok.code).toBe(0);
    const { head } = JSON.parse(ok.stdout);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, checked: 3, head: { seq: 3 } });
    // The operator's recorded head: still there → 0; a head the chain no longer reaches → 1.
    expect((await bsm(['audit', 'verify', '--head', `${head.seq}:${head.hash}`], env, cwd)).code).toBe(0);
    const gone = await bsm(['audit', 'verify', '--head', `99:${head.hash}`], env, cwd);
    expect(gone.code).toBe(1);
    expect(gone.stdout).toContain('head_missing');
    const system = await createSystem(testConfig(env), { logger: quietLogger });
    let edited: string;
    try {
      const { rows } = await system.db.query<{ id: string }>(
        `UPDATE audit_logs SET resource_id = 'forged' WHERE seq = 2 RETURNING id`,
      );
      edited = rows[0].id;
    } finally {
      await system.close();
    }
    const broken = await bsm(['audit', 'verify'], env, cwd);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`BROKEN at row ${edited}`);
  }, 120_000); // five CLI runs: each starts Node and opens the database

  it('`bsm keys rotate` re-encrypts stored secrets under the new key and reports counts', async () => {
    const rotateEnv = { ...env, ENCRYPTION_KEY: newKey, ENCRYPTION_KEYS: `old:${oldKey}` };
    const first = await bsm(['keys', 'rotate', '--json'], rotateEnv, cwd);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      currentKeyId: deriveKeyId(newKey),
      rotated: 1,
      failed: 0,
    });
    const second = await bsm(['keys', 'rotate'], rotateEnv, cwd);
    expect(second.stdout).toContain('secrets.ciphertext: 0 re-encrypted, 1 already current, 0 failed');
    // The old key is no longer needed.
    const system = await createSystem(testConfig({ ...env, ENCRYPTION_KEY: newKey }), {
      logger: quietLogger,
    });
    try {
      expect(await system.vault.get('openai')).toBe('sk-cli-1');
    } finally {
      await system.close();
    }
    // The cluster now uses the new key: a node still on the old one would refuse to start.
    env.ENCRYPTION_KEY = newKey;
  });

  it('`bsm compliance` exits 1 and prints advice when a check fails', async () => {
    const res = await bsm(['compliance'], env, cwd);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/FAIL {2}node-env: NODE_ENV=test\n {6}→ Set NODE_ENV=production/);
    expect(res.stdout).toMatch(/FAIL {2}audit-chain/);
    const json = JSON.parse((await bsm(['compliance', '--json'], env, cwd)).stdout);
    expect(json.ok).toBe(false);
  });
});
