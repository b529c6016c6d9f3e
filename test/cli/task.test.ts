/** `bsm task …` end to end on the embedded database (the built CLI in a child process). */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BSM } from '../helpers/processes.js';

const run = promisify(execFile);

describe('bsm task on the embedded database', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bsm-cli-'));
  const bsm = (...args: string[]) =>
    run(process.execPath, [BSM, ...args], {
      env: { PATH: process.env.PATH ?? '', BSM_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      cwd: dataDir,
    });

  it('submits a task, waits for it with progress, then gets, lists and refuses to cancel it', async () => {
    await bsm('agent', 'create', 'cli-echo', '--name', 'Echo', '--role', 'r', '--provider', 'echo');
    const submitted = await bsm(
      'task',
      'submit',
      'cli-echo',
      '--prompt',
      'hi from the cli',
      '--task-id',
      'cli-1',
      '--wait',
    );
    expect(submitted.stdout).toContain('hi from the cli');
    expect(submitted.stderr).toMatch(/cli-1: completed/);
    const got = JSON.parse((await bsm('task', 'get', 'cli-1', '--json')).stdout);
    expect(got).toMatchObject({ taskId: 'cli-1', status: 'completed', output: { text: 'hi from the cli' } });
    const list = JSON.parse((await bsm('task', 'list', '--agent', 'cli-echo', '--json')).stdout);
    expect(list.total).toBe(1);
    await expect(bsm('task', 'cancel', 'cli-1')).rejects.toMatchObject({
      stderr: expect.stringMatching(/TASK_FINISHED/),
    });
  }, 60_000);

  it('cancels a pending task', async () => {
    await bsm('task', 'submit', 'cli-echo', '--prompt', 'later', '--task-id', 'cli-2');
    const cancelled = JSON.parse((await bsm('task', 'cancel', 'cli-2', '--json')).stdout);
    expect(cancelled.status).toBe('cancelled');
  }, 60_000);
});
