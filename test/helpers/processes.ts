/** Child processes for multi-node tests: `bsm worker`/`bsm serve` or the test worker script. */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serverRedisUrl, testRedisPrefix } from './db.js';

const root = path.resolve(import.meta.dirname, '../..');
export const BSM = path.join(root, 'dist/cli/index.js');
export const TEST_WORKER = path.join(root, 'test/fixtures/worker.mjs');

export interface Child {
  process: ChildProcess;
  output: () => string;
  /** Resolves with the first line of output matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `node script args` with a clean environment plus `env`. Needs `npm run build` first. */
export function spawnNode(script: string, args: string[], env: Record<string, string>): Child {
  if (!existsSync(path.join(root, 'dist/system.js'))) throw new Error('run `npm run build` first');
  const child = spawn(process.execPath, [script, ...args], {
    cwd: mkdtempSync(path.join(tmpdir(), 'bsm-node-')),
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      BSM_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bsm-data-')),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of waiters) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    output: () => out,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = out.split('\n').find((l) => pattern.test(l));
          if (line === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(line);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output:\n${out}`));
        }, timeoutMs);
        waiters.add(check);
        check();
        exited.then(() => check());
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * What every process of one test deployment shares, as the README's scale-out recipe says: one
 * PostgreSQL, one Redis prefix, the same secrets, and the first admin's password.
 */
export function deploymentEnv(databaseUrl: string, adminPassword: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: serverRedisUrl ?? '',
    BSM_REDIS_PREFIX: testRedisPrefix(),
    ...clusterSecrets(),
    BSM_ADMIN_PASSWORD: adminPassword,
  };
}

/**
 * Fresh keys for every node of one test deployment: nodes with different keys refuse to start
 * on a shared database (SPEC §10, key fingerprints).
 */
export function clusterSecrets(): { JWT_SECRET: string; ENCRYPTION_KEY: string } {
  return { JWT_SECRET: randomBytes(32).toString('hex'), ENCRYPTION_KEY: randomBytes(32).toString('hex') };
}

/** Starts `bsm serve …` on a free port; resolves once it listens, with its base URL. */
export async function startApi(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: Child; base: string }> {
  const child = spawnNode(BSM, ['serve', ...args], { ...env, PORT: '0', LOG_LEVEL: 'info' });
  const line = await child.waitFor(/API listening/, 30_000);
  return { child, base: JSON.parse(line).address };
}

/** Logs in over HTTP; resolves with the access token. */
export async function login(base: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login failed: HTTP ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}
