/**
 * A submit's `task.create` audit row is written by the task's own insert statement: it exists the
 * moment the 202 is sent, shares the task's transaction (one commit, one WAL flush — so no task
 * exists without its row), and a resubmitted taskId — which creates nothing — adds no row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, injectAs, type TestCaller } from '../helpers/auth.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe.each(dbTargets)('the audit row of a task submit on %s', (target) => {
  let t: TestSystem;
  let alice: TestCaller;
  beforeAll(async () => {
    t = await createTestSystem(target);
    alice = await createCaller(t.system, 'user');
    await t.system.agents.create({ agentId: 'echo-a', name: 'Echo', role: 'echo', modelProvider: 'echo' });
  });
  afterAll(() => t?.close());

  const submit = (taskId: string) =>
    injectAs(
      t.app,
      alice,
    )({
      method: 'POST',
      url: '/api/tasks',
      headers: { 'user-agent': 'audit-probe/1.0' },
      payload: { agentId: 'echo-a', taskId, input: { prompt: 'hello' }, priority: 7 },
    });

  const rowsFor = async (taskId: string) =>
    (
      await t.system.db.query<{
        user_id: string;
        details: Record<string, unknown>;
        user_agent: string;
        ip_address: string | null;
      }>(
        `SELECT user_id, details, user_agent, ip_address::text AS ip_address
         FROM audit_logs WHERE action = 'task.create' AND resource_id = $1`,
        [taskId],
      )
    ).rows;

  it('is there when the 202 is sent, written in the task’s own transaction', async () => {
    const res = await submit('audited-1');
    expect(res.statusCode, res.body).toBe(202);
    const rows = await rowsFor('audited-1');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      user_id: alice.user.id,
      user_agent: 'audit-probe/1.0',
      details: { agentId: 'echo-a', priority: 7, type: 'execute' },
    });
    expect(rows[0].ip_address).toBeTruthy();
  });

  it('shares the task’s commit: when the audit row cannot be written, no task is created', async () => {
    await t.system.db.query(
      `ALTER TABLE audit_logs ADD CONSTRAINT probe_refuse CHECK (resource_id <> 'audit-refused') NOT VALID`,
    );
    try {
      const res = await submit('audit-refused');
      expect(res.statusCode).toBe(500);
    } finally {
      await t.system.db.query('ALTER TABLE audit_logs DROP CONSTRAINT probe_refuse');
    }
    const { rows } = await t.system.db.query(`SELECT 1 FROM tasks WHERE task_id = 'audit-refused'`);
    expect(rows).toEqual([]);
    // And with the row writable again, the same submit creates both.
    expect((await submit('audit-refused')).statusCode).toBe(202);
    expect(await rowsFor('audit-refused')).toHaveLength(1);
  });

  it('adds no row when a resubmitted taskId creates nothing, and the chain stays intact', async () => {
    const first = await submit('audited-2');
    const again = await submit('audited-2');
    expect(again.statusCode).toBe(202);
    expect(again.json().id).toBe(first.json().id);
    expect(await rowsFor('audited-2')).toHaveLength(1);
    const verified = await t.system.audit.verify();
    expect(verified.ok).toBe(true);
    const { rows } = await t.system.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_logs WHERE seq IS NULL AND resource_id LIKE 'audited-%'`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('inserts concurrent submits together, and a bad one in a batch fails alone', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `together-${i}`);
    const answers = await Promise.all([...ids, 'together-3'].map((id) => submit(id)));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(21).fill(202));
    // The taskId sent twice in one burst is one task with one audit row.
    expect(answers[20].json().id).toBe(answers[3].json().id);
    expect(await rowsFor('together-3')).toHaveLength(1);
    // Rows of one statement share its transaction's start time: fewer distinct times than tasks.
    // (PGlite has one connection: the submits' own reads queue behind each insert there, so they
    // reach the batcher one by one and batches rarely form.)
    const { rows } = await t.system.db.query<{ n: number; tasks: number }>(
      `SELECT count(DISTINCT created_at)::int AS n, count(*)::int AS tasks FROM tasks WHERE task_id LIKE 'together-%'`,
    );
    expect(rows[0].tasks).toBe(20);
    if (target === 'pg') expect(rows[0].n).toBeLessThan(20);

    await t.system.db.query(
      `ALTER TABLE audit_logs ADD CONSTRAINT probe_refuse_one CHECK (resource_id <> 'burst-7') NOT VALID`,
    );
    try {
      const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => submit(`burst-${i}`)));
      expect(burst.map((r) => r.statusCode)).toEqual(
        Array.from({ length: 12 }, (_, i) => (i === 7 ? 500 : 202)),
      );
    } finally {
      await t.system.db.query('ALTER TABLE audit_logs DROP CONSTRAINT probe_refuse_one');
    }
    const made = await t.system.db.query<{ task_id: string }>(
      `SELECT task_id FROM tasks WHERE task_id LIKE 'burst-%' ORDER BY task_id`,
    );
    expect(made.rows.map((r) => r.task_id).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `burst-${i}`)
        .filter((id) => id !== 'burst-7')
        .sort(),
    );
  });
});
