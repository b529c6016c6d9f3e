/** Child processes for multi-node tests: `bsm worker`/`bsm serve` or the test worker script. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

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
