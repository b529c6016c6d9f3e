import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The built CLI (`npm test` builds before running the suites). */
export const CLI = path.resolve('dist/cli/index.js');
export const cliBuilt = existsSync(CLI);

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `bsm …` with exactly the given environment (plus PATH), never the developer's own.
 * Asynchronous, so a server in the test process can answer the CLI meanwhile. `input` goes to stdin.
 */
export function runCli(
  args: string[],
  env: Record<string, string>,
  cwd?: string,
  input?: string,
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      {
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
        cwd,
        encoding: 'utf8',
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ status, stdout, stderr });
      },
    );
    // Without input, stdin closes at once (a command waiting for it must not hang).
    child.stdin?.end(input ?? '');
  });
}
