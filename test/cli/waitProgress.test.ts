/** `bsm task submit --wait` says why a task is retrying while it waits (SPEC §14). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatServer } from '../helpers/chatServer.js';
import { runCli } from '../helpers/cli.js';

describe('bsm task submit --wait progress', () => {
  let chat: Awaited<ReturnType<typeof startChatServer>>;
  let calls = 0;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bsm-cli-wait-'));
  beforeAll(async () => {
    chat = await startChatServer(() => {
      calls += 1;
      return calls === 1 ? { status: 500, content: 'model overloaded' } : { content: 'second try' };
    });
  });
  afterAll(() => chat?.close());

  it('shows the failed attempt and its reason, then the result', async () => {
    const env = { BSM_DATA_DIR: dataDir, OPENAI_BASE_URL: chat.url, OPENAI_API_KEY: 'test-key' };
    const created = await runCli(
      ['agent', 'create', 'flaky', '--name', 'F', '--role', 'r', '--model', 'm'],
      env,
      dataDir,
    );
    expect(created.status).toBe(0);
    const res = await runCli(
      ['task', 'submit', 'flaky', '--prompt', 'hi', '--task-id', 'w-1', '--max-retries', '2', '--wait', '30'],
      env,
      dataDir,
    );
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('second try');
    // stderr is a pipe here: one line per change (a terminal gets one line redrawn in place).
    expect(res.stderr).toMatch(/^w-1: pending · attempt 2 of 3 · retrying after: .*500.*model overloaded/m);
    expect(res.stderr).toMatch(/^w-1: completed · attempt 2 of 3$/m);
  }, 90_000);
});
