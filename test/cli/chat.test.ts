/** `bsm chat` and `bsm task submit --stream`, the built CLI in a child process fed through a pipe. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystem } from '../../src/system.js';
import { createCaller, type TestCaller } from '../helpers/auth.js';
import { CLI, cliBuilt } from '../helpers/cli.js';
import { quietLogger, testConfig } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bsm …` with `input` piped to stdin; `onStdout` may act on the output as it comes. */
function bsm(
  args: string[],
  env: Record<string, string>,
  input: string | { keepOpen: string } | undefined,
  onStdout?: (soFar: string, child: ReturnType<typeof spawn>) => void,
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
      cwd: env.BSM_DATA_DIR ?? process.cwd(),
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    if (typeof input === 'string') child.stdin.end(input);
    else if (input) child.stdin.write(input.keepOpen);
  });
}

const threadIdOf = (stderr: string) => /thread ([0-9a-f-]{36})/.exec(stderr)?.[1] ?? '';

describe.runIf(cliBuilt)('bsm chat on the embedded database', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bsm-chat-'));
  const env = { BSM_DATA_DIR: dataDir };

  it('prints each answer, keeps the thread, and continues it with --thread', async () => {
    const created = await bsm(
      ['agent', 'create', 'chatty', '--name', 'C', '--role', 'r', '--provider', 'echo'],
      env,
      undefined,
    );
    expect(created.status).toBe(0);
    const first = await bsm(['chat', 'chatty'], env, 'hello there\nsecond  line\n');
    expect(first.status).toBe(0);
    expect(first.stdout).toBe('hello there\nsecond  line\n');
    const threadId = threadIdOf(first.stderr);
    expect(threadId).not.toBe('');
    const again = await bsm(['chat', 'chatty', '--thread', threadId], env, 'third\n');
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('third\n');
    expect(threadIdOf(again.stderr)).toBe(threadId);
    const streamed = await bsm(
      ['task', 'submit', 'chatty', '--prompt', 'streamed  out', '--stream'],
      env,
      undefined,
    );
    expect(streamed.status).toBe(0);
    expect(streamed.stdout).toBe('streamed  out\n');
    const s = await createSystem(testConfig({ BSM_DATA_DIR: dataDir }), { logger: quietLogger });
    try {
      const messages = await s.repos.threads.messages(threadId);
      expect(messages.map((m) => `${m.role}:${m.content}`)).toEqual([
        'user:hello there',
        'assistant:hello there',
        'user:second  line',
        'assistant:second  line',
        'user:third',
        'assistant:third',
      ]);
    } finally {
      await s.close();
    }
  }, 120_000);
});

describe.runIf(cliBuilt)('bsm chat through a server', () => {
  let t: TestSystem;
  let alice: TestCaller;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestSystem('pglite', { BSM_POLL_INTERVAL_MS: '50' });
    await t.system.queue.start();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    alice = await createCaller(t.system, 'user');
    env = {
      BSM_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bsm-chat-remote-')),
      BSM_URL: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`,
      BSM_TOKEN: alice.token,
    };
    for (const [agentId, config] of [
      ['remote-echo', {}],
      ['slow-echo', { streamDelayMs: 100 }],
    ] as const) {
      const res = await t.inject({
        method: 'POST',
        url: '/api/agents',
        payload: { agentId, name: agentId, role: 'r', modelProvider: 'echo', config },
      });
      expect(res.statusCode).toBe(201);
    }
  });
  afterAll(() => t.close());

  it('streams answers over SSE and the thread belongs to the caller', async () => {
    const run = await bsm(['chat', 'remote-echo'], env, 'one two three\nfour\n');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('one two three\nfour\n');
    const threadId = threadIdOf(run.stderr);
    const thread = await t.system.repos.threads.find(threadId, alice.user.id);
    expect(thread.createdBy).toBe(alice.user.id);
    expect((await t.system.repos.threads.messages(threadId)).length).toBe(4);
  }, 60_000);

  it('leaves cleanly on Ctrl-C in the middle of an answer, which is cancelled', async () => {
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    let sent = false;
    // stdin stays open (a person at the keyboard): the answer is cut by Ctrl-C, not by end of input.
    const run = await bsm(['chat', 'slow-echo'], env, { keepOpen: `${words}\n` }, (soFar, child) => {
      if (!sent && soFar.includes('w2')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const threadId = threadIdOf(run.stderr);
    expect(run.status).toBe(0);
    expect(run.stdout.length).toBeLessThan(words.length);
    expect(run.stderr).toContain('bye');
    const tasks = await t.system.queue.list({ createdBy: alice.user.id, agentId: 'slow-echo' });
    expect(tasks.items[0].status).toBe('cancelled');
    expect(await t.system.repos.threads.messages(threadId)).toEqual([]);
  }, 60_000);
});
