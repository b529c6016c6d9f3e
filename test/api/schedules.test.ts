import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, type Inject, injectAs, type TestCaller } from '../helpers/auth.js';
import { dbTargets, serverRedisUrl } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

interface FireJson {
  fireTime: string;
  kind: string;
  status: string;
  taskId: string | null;
  runId: string | null;
  error: string | null;
}

const until = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe.each(dbTargets)('schedules over HTTP on %s', (target) => {
  let t: TestSystem;
  let alice: TestCaller;
  let bob: TestCaller;
  let vera: TestCaller;
  const as = (caller: TestCaller): Inject => injectAs(t.app, caller);
  const create = (caller: TestCaller, body: Record<string, unknown>) =>
    as(caller)({ method: 'POST', url: '/api/schedules', payload: body });
  const fires = async (caller: TestCaller, scheduleId: string): Promise<FireJson[]> =>
    (await as(caller)(`/api/schedules/${scheduleId}/runs?limit=500`)).json().items;

  beforeAll(async () => {
    t = await createTestSystem(
      target,
      {
        BSM_POLL_INTERVAL_MS: '50',
        ...(target === 'pg' && serverRedisUrl ? { REDIS_URL: serverRedisUrl } : {}),
      },
      { scheduler: { graceMs: 1_000 } },
    );
    alice = await createCaller(t.system, 'user');
    bob = await createCaller(t.system, 'user');
    vera = await createCaller(t.system, 'viewer');
    const agent = await t.inject({
      method: 'POST',
      url: '/api/agents',
      payload: { agentId: 'ticker', name: 'Ticker', role: 'echoes', modelProvider: 'echo' },
    });
    expect(agent.statusCode, agent.body).toBe(201);
  });
  afterAll(() => t?.close());

  it('creates a schedule with its defaults and next fire time, audited, and refuses bad cron, zone or target with 400', async () => {
    const res = await create(alice, {
      scheduleId: 'weekday-report',
      cron: '30 9 * * 1-5',
      timezone: 'Europe/Berlin',
      target: { agentId: 'ticker', input: { prompt: 'report' } },
    });
    expect(res.statusCode, res.body).toBe(201);
    const schedule = res.json();
    expect(schedule).toMatchObject({
      overlap: 'skip',
      catchUp: 'none',
      enabled: true,
      createdBy: alice.user.id,
    });
    const next = new Date(schedule.nextFireAt);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    // 09:30 in Berlin is 08:30 or 07:30 UTC (summer time), on a weekday.
    expect([7, 8]).toContain(next.getUTCHours());
    expect(next.getUTCMinutes()).toBe(30);
    expect([1, 2, 3, 4, 5]).toContain(next.getUTCDay());
    const audit = await t.system.db.query(
      `SELECT 1 FROM audit_logs WHERE action = 'schedule.create' AND resource_id = 'weekday-report' AND user_id = $1`,
      [alice.user.id],
    );
    expect(audit.rows).toHaveLength(1);

    const bad: Array<[Record<string, unknown>, string]> = [
      [{ cron: '* * * *' }, 'cron'],
      [{ cron: '* * * * * * *' }, 'cron'],
      [{ cron: '61 * * * *' }, 'cron'],
      [{ timezone: 'Mars/Olympus' }, 'timezone'],
      [{ target: { agentId: 'nobody', input: { prompt: 'x' } } }, 'target.agentId'],
      [{ target: { agentId: 'ticker', input: {} } }, 'target.input'],
      [{ target: { workflowId: 'none-such', input: {} } }, 'target.workflowId'],
    ];
    for (const [change, field] of bad) {
      const r = await create(alice, {
        scheduleId: 'bad-one',
        cron: '* * * * *',
        target: { agentId: 'ticker', input: { prompt: 'x' } },
        ...change,
      });
      expect(r.statusCode, JSON.stringify(change)).toBe(400);
      expect(r.json().error.details?.field, JSON.stringify(change)).toBe(field);
    }
    const both = await create(alice, {
      scheduleId: 'bad-one',
      cron: '* * * * *',
      target: { agentId: 'ticker', workflowId: 'w', input: { prompt: 'x' } },
    });
    expect(both.statusCode).toBe(400);
    expect(
      (
        await create(alice, {
          scheduleId: 'weekday-report',
          cron: '* * * * *',
          target: { agentId: 'ticker', input: { prompt: 'x' } },
        })
      ).statusCode,
    ).toBe(409);
  });

  it('lets a user see and act on their own schedules only (404), a viewer read all (403 on change)', async () => {
    for (const [method, url] of [
      ['GET', '/api/schedules/weekday-report'],
      ['PATCH', '/api/schedules/weekday-report'],
      ['DELETE', '/api/schedules/weekday-report'],
      ['POST', '/api/schedules/weekday-report/trigger'],
      ['GET', '/api/schedules/weekday-report/runs'],
    ] as const) {
      const res = await as(bob)({
        method,
        url,
        ...(method === 'PATCH' ? { payload: { enabled: false } } : {}),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error.code).toBe('SCHEDULE_NOT_FOUND');
    }
    expect((await as(bob)('/api/schedules')).json().items).toEqual([]);
    expect(
      (await as(alice)('/api/schedules')).json().items.map((s: { scheduleId: string }) => s.scheduleId),
    ).toEqual(['weekday-report']);
    expect((await as(vera)('/api/schedules/weekday-report')).statusCode).toBe(200);
    expect((await as(vera)('/api/schedules')).json().total).toBe(1);
    for (const [method, url] of [
      ['PATCH', '/api/schedules/weekday-report'],
      ['DELETE', '/api/schedules/weekday-report'],
      ['POST', '/api/schedules/weekday-report/trigger'],
      ['POST', '/api/schedules'],
    ] as const) {
      const res = await as(vera)({ method, url, payload: {} });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }
    expect((await t.inject('/api/schedules/weekday-report')).statusCode).toBe(200);
  });

  it('triggers now, even when disabled: one task owned by the schedule owner carrying scheduleId and fireTime', async () => {
    const patched = await as(alice)({
      method: 'PATCH',
      url: '/api/schedules/weekday-report',
      payload: { enabled: false },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ enabled: false, nextFireAt: null });
    const res = await as(alice)({ method: 'POST', url: '/api/schedules/weekday-report/trigger' });
    expect(res.statusCode, res.body).toBe(202);
    const fire = res.json();
    expect(fire).toMatchObject({ kind: 'manual', status: 'fired', runId: null });
    const task = (await as(alice)(`/api/tasks/${fire.taskId}`)).json();
    expect(task.createdBy).toBe(alice.user.id);
    expect(task.metadata).toEqual({ scheduleId: 'weekday-report', fireTime: fire.fireTime });
    expect(task.input).toEqual({ prompt: 'report' });
    expect(await fires(alice, 'weekday-report')).toEqual([
      expect.objectContaining({ taskId: fire.taskId, kind: 'manual' }),
    ]);
    // The trigger ignores overlap too: the first task is still pending (no worker runs here).
    const again = await as(alice)({ method: 'POST', url: '/api/schedules/weekday-report/trigger' });
    expect(again.json().status).toBe('fired');
    expect(again.json().taskId).not.toBe(fire.taskId);
  });

  it('fires every second; with overlap skip a fire is skipped while the previous task is still pending', async () => {
    await t.system.scheduler.start();
    try {
      for (const overlap of ['skip', 'allow']) {
        const res = await create(alice, {
          scheduleId: `tick-${overlap}`,
          cron: '* * * * * *',
          target: { agentId: 'ticker', input: { prompt: 'tick' } },
          overlap,
        });
        expect(res.statusCode, res.body).toBe(201);
      }
      // No worker runs in this system: every task stays pending.
      const skip = await until(
        () => fires(alice, 'tick-skip'),
        (f) => f.length >= 4,
      );
      const allow = await until(
        () => fires(alice, 'tick-allow'),
        (f) => f.length >= 4,
      );
      const first = skip[skip.length - 1];
      expect(first).toMatchObject({ status: 'fired', kind: 'cron' });
      expect(first.taskId).toBeTruthy();
      expect(skip.slice(0, -1).every((f) => f.status === 'skipped' && f.taskId === null)).toBe(true);
      expect(allow.every((f) => f.status === 'fired' && f.taskId)).toBe(true);
      const task = (await as(alice)(`/api/tasks/${first.taskId}`)).json();
      expect(task.metadata).toEqual({ scheduleId: 'tick-skip', fireTime: first.fireTime });
      expect(new Date(first.fireTime).getMilliseconds()).toBe(0);

      // The run ends: the next fire creates a task again.
      await t.system.queue.cancel(first.taskId as string);
      const after = await until(
        () => fires(alice, 'tick-skip'),
        (f) => f.some((x) => x.status === 'fired' && x.taskId !== first.taskId),
      );
      expect(after.filter((f) => f.status === 'fired')).toHaveLength(2);
    } finally {
      for (const id of ['tick-skip', 'tick-allow'])
        await as(alice)({ method: 'DELETE', url: `/api/schedules/${id}` });
      await t.system.scheduler.stop();
    }
    expect((await as(alice)('/api/schedules/tick-skip')).statusCode).toBe(404);
  });

  it('catches up the latest missed fire time after downtime when asked, and none otherwise', async () => {
    for (const catchUp of ['latest', 'none']) {
      const res = await create(alice, {
        scheduleId: `down-${catchUp}`,
        cron: '* * * * * *',
        target: { agentId: 'ticker', input: { prompt: 'tick' } },
        overlap: 'allow',
        catchUp,
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    // Nobody runs the scheduler for 4 s (grace 1 s), then one starts.
    const downFrom = Date.now();
    await new Promise((r) => setTimeout(r, 4_000));
    const downTo = Date.now();
    await t.system.scheduler.start();
    try {
      const latest = await until(
        () => fires(alice, 'down-latest'),
        (f) => f.some((x) => new Date(x.fireTime).getTime() > downTo),
      );
      const none = await until(
        () => fires(alice, 'down-none'),
        (f) => f.some((x) => new Date(x.fireTime).getTime() > downTo),
      );
      // On-time fires are those within the grace (1 s) of the first pass; older ones were missed.
      // A later pass running late by more than the grace (a loaded machine) may catch up again,
      // so the window checked is the one before the first on-time fire.
      const byTime = (f: FireJson[]) =>
        [...f].sort((a, b) => new Date(a.fireTime).getTime() - new Date(b.fireTime).getTime());
      const beforeFirstOnTime = (f: FireJson[]) => {
        const sorted = byTime(f);
        const firstOnTime = sorted.findIndex((x) => x.kind === 'cron');
        return firstOnTime < 0 ? sorted : sorted.slice(0, firstOnTime);
      };
      const caughtUp = beforeFirstOnTime(latest);
      expect(caughtUp).toHaveLength(1);
      expect(caughtUp[0]).toMatchObject({ kind: 'catch-up', status: 'fired' });
      expect(new Date(caughtUp[0].fireTime).getTime()).toBeGreaterThan(downFrom);
      expect(new Date(caughtUp[0].fireTime).getTime()).toBeLessThan(downTo);
      expect(beforeFirstOnTime(none)).toEqual([]);
      expect(none.filter((f) => new Date(f.fireTime).getTime() < downTo - 1_000)).toEqual([]);
    } finally {
      await t.system.scheduler.stop();
    }
  });

  it('fires a workflow run carrying scheduleId and fireTime in its metadata', async () => {
    const wf = await t.inject({
      method: 'POST',
      url: '/api/workflows',
      payload: {
        workflowId: 'nightly',
        name: 'Nightly',
        definition: { steps: [{ id: 'a', agentId: 'ticker', input: { prompt: 'night {{input.who}}' } }] },
      },
    });
    expect(wf.statusCode, wf.body).toBe(201);
    const res = await create(alice, {
      scheduleId: 'nightly-run',
      cron: '0 3 * * *',
      timezone: 'America/New_York',
      target: { workflowId: 'nightly', input: { who: 'owl' } },
    });
    expect(res.statusCode, res.body).toBe(201);
    const fire = (await as(alice)({ method: 'POST', url: '/api/schedules/nightly-run/trigger' })).json();
    expect(fire).toMatchObject({ status: 'fired', taskId: null });
    const run = (await as(alice)(`/api/workflow-runs/${fire.runId}`)).json();
    expect(run.metadata).toEqual({ scheduleId: 'nightly-run', fireTime: fire.fireTime });
    expect(run.createdBy).toBe(alice.user.id);
    expect(run.input).toEqual({ who: 'owl' });
  });

  it('counts fired tasks against the owner budget (BUDGET_EXCEEDED)', async () => {
    await t.inject({ method: 'PATCH', url: `/api/users/${bob.user.id}`, payload: { budgetUsdPerDay: 0 } });
    const res = await create(bob, {
      scheduleId: 'bobs-tick',
      cron: '0 0 1 1 *',
      target: { agentId: 'ticker', input: { prompt: 'costly' } },
    });
    expect(res.statusCode, res.body).toBe(201);
    await t.system.queue.start();
    const fire = (await as(bob)({ method: 'POST', url: '/api/schedules/bobs-tick/trigger' })).json();
    const task = (await as(bob)(`/api/tasks/${fire.taskId}?wait=20`)).json();
    expect(task.status).toBe('failed');
    expect(task.error).toMatch(/^BUDGET_EXCEEDED/);
  });
});
