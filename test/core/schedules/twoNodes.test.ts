/**
 * Exactly one task per fire time with two nodes over the real PostgreSQL, one of them restarted
 * while an every-second schedule runs (SPEC §14).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createSystem, type System } from '../../../src/system.js';
import {
  createServerDatabase,
  quietLogger,
  serverDatabaseUrl,
  serverRedisUrl,
  testConfig,
} from '../../helpers/db.js';
import { clusterSecrets } from '../../helpers/processes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!serverDatabaseUrl)('schedules on two nodes over PostgreSQL', () => {
  const open: System[] = [];
  let drop: (() => Promise<void>) | undefined;

  afterAll(async () => {
    for (const s of open) await s.close().catch(() => undefined);
    await drop?.();
  });

  const secrets = clusterSecrets();

  it('fires each second exactly once while one node restarts: no fire time lost or doubled', async () => {
    const database = await createServerDatabase();
    drop = database.drop;
    const env = {
      DATABASE_URL: database.url,
      // Two nodes of one cluster: the same keys (a node with its own is refused at start).
      ...secrets,
      BSM_POLL_INTERVAL_MS: '50',
      ...(serverRedisUrl ? { REDIS_URL: serverRedisUrl } : {}),
    };
    const node = async () => {
      const system = await createSystem(testConfig(env), {
        logger: quietLogger,
        scheduler: { graceMs: 3_000 },
      });
      open.push(system);
      await system.engine.start();
      return system;
    };
    const a = await node();
    let b = await node();
    await a.agents.create({ agentId: 'ticker', name: 'Ticker', role: 'echoes', modelProvider: 'echo' });
    const created = await a.schedules.create(
      {
        scheduleId: 'every-second',
        cron: '* * * * * *',
        target: { agentId: 'ticker', input: { prompt: 'tick' } },
        overlap: 'allow',
      },
      null,
    );

    await sleep(3_500);
    await b.close(); // node B goes away mid-way…
    await sleep(1_500);
    b = await node(); // …and comes back
    await sleep(3_500);
    await a.schedules.update(await a.schedules.get('every-second'), { enabled: false });
    const stoppedAt = Date.now();
    await sleep(500); // a pass that began before the update finishes

    const { rows: fires } = await a.db.query<{ fire_time: Date; task_id: string | null; kind: string }>(
      `SELECT f.fire_time, f.task_id, f.kind FROM schedule_fires f WHERE f.schedule_id = $1 ORDER BY f.fire_time`,
      [created.id],
    );
    const { rows: tasks } = await a.db.query<{
      id: string;
      metadata: { scheduleId: string; fireTime: string };
    }>(`SELECT id, metadata FROM tasks WHERE metadata->>'scheduleId' = 'every-second'`);
    const times = fires.map((f) => f.fire_time.getTime());
    // Every second from the first fire to the last, once each.
    const expected: number[] = [];
    for (let at = times[0]; at <= times[times.length - 1]; at += 1_000) expected.push(at);
    expect(times).toEqual(expected);
    expect(times.length).toBeGreaterThanOrEqual(7);
    // The first fire time is the first second after creation; the last is close to the stop.
    expect(times[0]).toBe(Math.floor(created.createdAt.getTime() / 1_000) * 1_000 + 1_000);
    expect(stoppedAt - times[times.length - 1]).toBeLessThan(3_000);
    expect(fires.every((f) => f.kind === 'cron' && f.task_id)).toBe(true);
    // One task per fire record, each carrying its own fire time.
    expect(tasks).toHaveLength(fires.length);
    expect(new Set(tasks.map((t) => t.id))).toEqual(new Set(fires.map((f) => f.task_id)));
    expect(tasks.map((t) => Date.parse(t.metadata.fireTime)).sort((x, y) => x - y)).toEqual(times);
    // Both nodes did some of the firing? Not asserted: which node wins a fire is up to the lock.
    const done = await a.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tasks WHERE metadata->>'scheduleId' = 'every-second' AND status = 'completed'`,
    );
    expect(done.rows[0].n).toBeGreaterThan(0);
  });
});
