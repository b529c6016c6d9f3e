import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../helpers/auth.js';
import { cliBuilt, runCli } from '../helpers/cli.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe.runIf(cliBuilt)('bsm commands with --url (against a server)', () => {
  let t: TestSystem;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestSystem('pglite', { BSM_POLL_INTERVAL_MS: '50' });
    await t.system.agents.create({ agentId: 'echo', name: 'Echo', role: 'r', modelProvider: 'echo' });
    await t.system.queue.start();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const caller = await createCaller(t.system, 'user');
    env = {
      BSM_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bsm-cli-')),
      BSM_URL: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`,
      BSM_TOKEN: caller.token,
    };
  });
  afterAll(() => t.close());

  it('submits, waits with progress, gets, lists and refuses to cancel a finished task, all over HTTP', async () => {
    const submitted = await runCli(
      ['task', 'submit', 'echo', '--prompt', 'hello over http', '--task-id', 'remote-1', '--wait', '20'],
      env,
    );
    expect(submitted.stderr).toContain('remote-1: completed'); // progress on stderr
    expect(submitted.status).toBe(0);
    expect(submitted.stdout).toContain('hello over http');
    const got = JSON.parse((await runCli(['task', 'get', 'remote-1', '--json'], env)).stdout);
    expect(got).toMatchObject({
      taskId: 'remote-1',
      status: 'completed',
      output: { text: 'hello over http' },
    });
    // It really went through the API: the task belongs to the token's user and was audited there.
    const stored = await t.system.repos.tasks.findByTaskId('remote-1');
    expect(stored.createdBy).not.toBeNull();
    expect((await t.system.repos.auditLogs.list({ action: 'task.create' })).total).toBe(1);

    const listed = JSON.parse(
      (await runCli(['task', 'list', '--status', 'completed', '--json'], env)).stdout,
    );
    expect(listed.items.map((x: { taskId: string }) => x.taskId)).toEqual(['remote-1']);
    expect((await runCli(['task', 'list'], env)).stdout).toContain('remote-1\tcompleted');
    const cancel = await runCli(['task', 'cancel', 'remote-1'], env);
    expect(cancel.status).toBe(1);
    expect(cancel.stderr).toContain('TASK_FINISHED');
  }, 60_000);

  it('creates and runs a workflow through the server, waiting for its steps', async () => {
    const file = path.join(env.BSM_DATA_DIR, 'wf.json');
    writeFileSync(
      file,
      JSON.stringify({
        workflowId: 'remote-wf',
        name: 'Remote',
        definition: {
          steps: [
            { id: 'a', agentId: 'echo', input: { prompt: 'A {{input.topic}}' } },
            {
              id: 'b',
              agentId: 'echo',
              dependsOn: ['a'],
              input: { prompt: 'B after {{steps.a.output.text}}' },
            },
          ],
        },
      }),
    );
    // Creating workflows needs workflow:manage: as a plain user the server refuses.
    const refused = await runCli(['workflow', 'create', '--file', file], env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('FORBIDDEN');
    const admin = await createCaller(t.system, 'admin');
    const asAdmin = { ...env, BSM_TOKEN: admin.token };
    expect((await runCli(['workflow', 'create', '--file', file], asAdmin)).status).toBe(0);
    expect(JSON.parse((await runCli(['workflow', 'list', '--json'], env)).stdout).total).toBe(1);
    const ran = await runCli(
      ['workflow', 'run', 'remote-wf', '--input', '{"topic":"tides"}', '--wait', '--json'],
      env,
    );
    expect(ran.status).toBe(0);
    const run = JSON.parse(ran.stdout);
    expect(run.status).toBe('completed');
    expect(run.steps.find((x: { stepId: string }) => x.stepId === 'b').output.text).toBe('B after A tides');
  }, 60_000);

  it('manages users and reads the audit chain and the compliance report through the server', async () => {
    const admin = await createCaller(t.system, 'admin');
    const asAdmin = { ...env, BSM_TOKEN: admin.token };
    const created = await runCli(
      ['user', 'create', 'remote-viewer', '--email', 'rv@example.test', '--role', 'viewer', '--json'],
      asAdmin,
    );
    expect(created.status).toBe(0);
    const body = JSON.parse(created.stdout);
    expect(body).toMatchObject({ username: 'remote-viewer', role: 'viewer' });
    expect(body.generatedPassword).toMatch(/.{12,}/); // printed once, to the operator only
    const rows = await t.system.repos.auditLogs.list({ action: 'user.create', userId: admin.user.id });
    expect(rows.total).toBe(1); // audited by the server, as the token's user
    const listed = JSON.parse((await runCli(['user', 'list', '--role', 'viewer', '--json'], asAdmin)).stdout);
    expect(listed.items.map((u: { username: string }) => u.username)).toContain('remote-viewer');

    const verified = await runCli(['audit', 'verify', '--json'], asAdmin);
    expect(verified.status).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
    const compliance = await runCli(['compliance', '--json'], asAdmin);
    expect(JSON.parse(compliance.stdout).checks.length).toBeGreaterThan(5);
    // A plain user may do neither.
    const denied = await runCli(['audit', 'verify'], env);
    expect(denied.status).toBe(1);
    expect(denied.stderr).toContain('FORBIDDEN');
  }, 60_000);
});
