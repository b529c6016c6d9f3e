import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, type TestCaller } from '../helpers/auth.js';
import { cliBuilt, runCli } from '../helpers/cli.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe.runIf(cliBuilt)('bsm schedule', () => {
  it('creates, lists, triggers and deletes a schedule on the embedded database', async () => {
    const env = { BSM_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bsm-cli-')) };
    const agent = await runCli(
      ['agent', 'create', 'ticker', '--name', 'T', '--role', 'r', '--provider', 'echo'],
      env,
    );
    expect(agent.status, agent.stderr).toBe(0);
    const created = await runCli(
      [
        'schedule',
        'create',
        'morning',
        '--cron',
        '0 7 * * *',
        '--timezone',
        'Asia/Tokyo',
        '--agent',
        'ticker',
        '--input',
        '{"prompt":"good morning"}',
        '--json',
      ],
      env,
    );
    expect(created.status, created.stderr).toBe(0);
    const schedule = JSON.parse(created.stdout);
    expect(schedule).toMatchObject({ scheduleId: 'morning', timezone: 'Asia/Tokyo', overlap: 'skip' });
    expect(new Date(schedule.nextFireAt).getUTCHours()).toBe(22); // 07:00 in Tokyo

    const bad = await runCli(['schedule', 'create', 'bad', '--cron', '* * *', '--agent', 'ticker'], env);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('VALIDATION_ERROR');

    expect((await runCli(['schedule', 'list'], env)).stdout).toMatch(
      /^morning\t0 7 \* \* \*\tAsia\/Tokyo\tagent ticker/m,
    );
    const fired = await runCli(['schedule', 'trigger', 'morning', '--json'], env);
    expect(fired.status, fired.stderr).toBe(0);
    const fire = JSON.parse(fired.stdout);
    expect(fire).toMatchObject({ status: 'fired', kind: 'manual' });
    const task = JSON.parse((await runCli(['task', 'get', fire.taskId, '--json'], env)).stdout);
    expect(task.metadata).toEqual({ scheduleId: 'morning', fireTime: fire.fireTime });

    expect((await runCli(['schedule', 'delete', 'morning'], env)).stdout.trim()).toBe('deleted morning');
    const gone = await runCli(['schedule', 'delete', 'morning'], env);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain('SCHEDULE_NOT_FOUND');
  }, 120_000);

  describe('with --url', () => {
    let t: TestSystem;
    let caller: TestCaller;
    let env: Record<string, string>;
    beforeAll(async () => {
      t = await createTestSystem('pglite', { BSM_POLL_INTERVAL_MS: '50' });
      await t.system.agents.create({ agentId: 'ticker', name: 'T', role: 'r', modelProvider: 'echo' });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      caller = await createCaller(t.system, 'user');
      env = {
        BSM_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'bsm-cli-')),
        BSM_URL: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`,
        BSM_TOKEN: caller.token,
      };
    });
    afterAll(() => t?.close());

    it('manages the caller’s own schedules through the server', async () => {
      const created = await runCli(
        [
          'schedule',
          'create',
          'remote',
          '--cron',
          '*/30 * * * * *',
          '--agent',
          'ticker',
          '--input',
          '{"prompt":"hi"}',
        ],
        env,
      );
      expect(created.status, created.stderr).toBe(0);
      expect(created.stdout).toContain('created remote');
      const stored = await t.system.schedules.get('remote');
      expect(stored.createdBy).toBe(caller.user.id);
      expect((await runCli(['schedule', 'list'], env)).stdout).toContain('remote\t*/30 * * * * *\tUTC');
      const fired = await runCli(['schedule', 'trigger', 'remote'], env);
      expect(fired.status, fired.stderr).toBe(0);
      expect(fired.stdout).toMatch(/\tfired\ttask task_/);
      expect((await t.system.repos.auditLogs.list({ action: 'schedule.trigger' })).total).toBe(1);
      expect((await runCli(['schedule', 'delete', 'remote'], env)).status).toBe(0);
      expect((await runCli(['schedule', 'list', '--json'], env)).stdout).toContain('"total": 0');
    }, 120_000);
  });
});
