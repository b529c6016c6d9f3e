import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../helpers/auth.js';
import { cliBuilt, runCli } from '../helpers/cli.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe.runIf(cliBuilt)('bsm agent (against the embedded database)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bsm-cli-'));
  const env = { BSM_DATA_DIR: dir };

  it('migrates, then creates, lists, gets and deletes an agent with --json', {
    timeout: 180_000,
  }, async () => {
    const migrated = await runCli(['migrate', '--json'], env);
    expect(migrated.status).toBe(0);
    expect(JSON.parse(migrated.stdout).applied).toContain('001_agents');
    expect(JSON.parse((await runCli(['migrate', '--json'], env)).stdout).applied).toEqual([]);

    const created = await runCli(
      [
        'agent',
        'create',
        'cli-bot',
        '--name',
        'CLI',
        '--role',
        'helps',
        '--provider',
        'echo',
        '--capability',
        'a,b',
        '--json',
      ],
      env,
    );
    expect(created.status).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      agentId: 'cli-bot',
      capabilities: ['a', 'b'],
      modelProvider: 'echo',
    });

    const dup = await runCli(
      ['agent', 'create', 'cli-bot', '--name', 'CLI', '--role', 'helps', '--provider', 'echo'],
      env,
    );
    expect(dup.status).toBe(1);
    expect(dup.stderr.trim()).toBe('bsm: AGENT_EXISTS: Agent cli-bot already exists');

    const listed = JSON.parse((await runCli(['agent', 'list', '--json'], env)).stdout);
    expect(listed.items.map((a: { agentId: string }) => a.agentId)).toEqual(['cli-bot']);
    expect(JSON.parse((await runCli(['agent', 'get', 'cli-bot', '--json'], env)).stdout).name).toBe('CLI');
    expect((await runCli(['agent', 'delete', 'cli-bot'], env)).stdout.trim()).toBe('deleted cli-bot');
    const missing = await runCli(['agent', 'get', 'cli-bot'], env);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('AGENT_NOT_FOUND');
  });

  it('stops with one line naming a badly configured variable', async () => {
    const bad = await runCli(['agent', 'list'], { ...env, PORT: 'eighty' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe('bsm: configuration error: PORT: expected an integer, got "eighty"');
  });
});

describe.runIf(cliBuilt)('bsm agent --url (against a server)', () => {
  let t: TestSystem;
  let url: string;
  let token: string;
  beforeAll(async () => {
    t = await createTestSystem('pglite');
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    token = (await createCaller(t.system, 'admin')).token;
  });
  afterAll(() => t.close());

  it('creates and lists through the HTTP API and reports its errors', async () => {
    const env = { BSM_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bsm-cli-')) };
    const created = await runCli(
      [
        '--url',
        url,
        '--token',
        token,
        'agent',
        'create',
        'remote-bot',
        '--name',
        'R',
        '--role',
        'r',
        '--provider',
        'echo',
        '--json',
      ],
      env,
    );
    expect(created.stderr).toBe('');
    expect(created.status).toBe(0);
    expect((await t.system.agents.get('remote-bot')).name).toBe('R');
    const listed = JSON.parse(
      (await runCli(['agent', 'list', '--json'], { ...env, BSM_URL: url, BSM_TOKEN: token })).stdout,
    );
    expect(listed.total).toBe(1);
    const bad = await runCli(
      ['--url', url, '--token', token, 'agent', 'create', 'Bad Id', '--name', 'R', '--role', 'r'],
      env,
    );
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('VALIDATION_ERROR');
    const anonymous = await runCli(['--url', url, 'agent', 'list'], env);
    expect(anonymous.status).toBe(1);
    expect(anonymous.stderr).toContain('UNAUTHENTICATED');
  });
});
