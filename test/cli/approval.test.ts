/**
 * `bsm approval list|approve|reject` (SPEC §11), on the embedded database and with `--url`
 * against a server (where the caller's own rights apply). A scripted model server asks for
 * `time.now`, which the agent may call only with approval.
 */
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../helpers/auth.js';
import { type ChatHandler, startChatServer } from '../helpers/chatServer.js';
import { cliBuilt, runCli } from '../helpers/cli.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

const script: ChatHandler = (body) => {
  const tool = body.messages.find((m) => m.role === 'tool');
  if (tool) return { content: `answer: ${tool.content}` };
  return { toolCalls: [{ id: 'c1', name: 'time.now', arguments: '{"timezone":"UTC"}' }] };
};

const agentConfig = (url: string) =>
  JSON.stringify({ baseUrl: url, keyless: true, approval: { actions: ['time.now'] } });

describe.runIf(cliBuilt)('bsm approval', () => {
  let chat: Awaited<ReturnType<typeof startChatServer>>;
  beforeAll(async () => {
    chat = await startChatServer(script);
  });
  afterAll(() => chat?.close());

  it('lists and approves on the embedded database; the task then completes', async () => {
    const env = { BSM_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bsm-cli-')) };
    const created = await runCli(
      ['agent', 'create', 'asker', '--name', 'Asker', '--role', 'r', '--provider', 'openai'].concat([
        '--action',
        'time.now',
        '--config',
        agentConfig(chat.url),
      ]),
      env,
    );
    expect(created.status, created.stderr).toBe(0);
    // The task runs here until it waits for the decision (then --wait gives up: exit 1).
    const submitted = await runCli(
      ['task', 'submit', 'asker', '--prompt', 'time?', '--task-id', 'ask-1', '--wait', '8', '--json'],
      env,
    );
    expect(JSON.parse(submitted.stdout).status).toBe('waiting');
    const list = JSON.parse(
      (await runCli(['approval', 'list', '--status', 'pending', '--json'], env)).stdout,
    );
    expect(list.items).toEqual([
      expect.objectContaining({
        taskId: 'ask-1',
        action: 'time.now',
        args: { timezone: 'UTC' },
        status: 'pending',
      }),
    ]);
    const id = list.items[0].approvalId as string;
    const approved = await runCli(
      ['approval', 'approve', id, '--args', '{"timezone":"Europe/Paris"}', '--json'],
      env,
    );
    expect(approved.status, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({
      status: 'approved',
      args: { timezone: 'Europe/Paris' },
    });
    const again = await runCli(['approval', 'reject', id], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('APPROVAL_DECIDED');
    const done = JSON.parse((await runCli(['task', 'get', 'ask-1', '--wait', '20', '--json'], env)).stdout);
    expect(done.status).toBe('completed');
    expect(done.output.toolCalls[0]).toMatchObject({ arguments: { timezone: 'Europe/Paris' } });
  }, 120_000);

  describe('with --url', () => {
    let t: TestSystem;
    let env: Record<string, string>;
    let otherEnv: Record<string, string>;
    beforeAll(async () => {
      t = await createTestSystem('pglite', { BSM_POLL_INTERVAL_MS: '50' });
      await t.system.agents.create({
        agentId: 'asker',
        name: 'Asker',
        role: 'r',
        modelProvider: 'openai',
        actions: ['time.now'],
        config: JSON.parse(agentConfig(chat.url)),
      });
      await t.system.queue.start();
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
      const dir = mkdtempSync(path.join(tmpdir(), 'bsm-cli-'));
      env = { BSM_DATA_DIR: dir, BSM_URL: url, BSM_TOKEN: (await createCaller(t.system, 'user')).token };
      otherEnv = { ...env, BSM_TOKEN: (await createCaller(t.system, 'user')).token };
    });
    afterAll(() => t?.close());

    it('lists the caller’s own approvals and rejects one over HTTP', async () => {
      const submitted = await runCli(
        ['task', 'submit', 'asker', '--prompt', 'time?', '--task-id', 'remote-ask', '--json'],
        env,
      );
      expect(submitted.status, submitted.stderr).toBe(0);
      let items: Array<{ approvalId: string; taskId: string }> = [];
      for (let i = 0; i < 100 && items.length === 0; i++) {
        items = JSON.parse(
          (await runCli(['approval', 'list', '--task', 'remote-ask', '--json'], env)).stdout,
        ).items;
        if (!items.length) await new Promise((r) => setTimeout(r, 100));
      }
      expect(items).toEqual([expect.objectContaining({ taskId: 'remote-ask' })]);
      // Another user sees none of it and may not decide it.
      expect(JSON.parse((await runCli(['approval', 'list', '--json'], otherEnv)).stdout).items).toEqual([]);
      const foreign = await runCli(['approval', 'reject', items[0].approvalId], otherEnv);
      expect(foreign.stderr).toContain('APPROVAL_NOT_FOUND');
      const rejected = await runCli(
        ['approval', 'reject', items[0].approvalId, '--comment', 'no', '--json'],
        env,
      );
      expect(rejected.status, rejected.stderr).toBe(0);
      expect(JSON.parse(rejected.stdout)).toMatchObject({ status: 'rejected', comment: 'no' });
      const done = await t.system.queue.waitForTask('remote-ask', 20_000);
      expect(done.output).toMatchObject({ toolCalls: [expect.objectContaining({ status: 'rejected' })] });
    }, 120_000);
  });
});
