import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { type AuditLogRow, toChainRow } from '../../src/repositories/auditLogs.js';
import { chainHash, GENESIS_HASH } from '../../src/security/auditChain.js';
import { AUDIT_CHAIN_LOCK_KEY } from '../../src/security/auditChainer.js';
import { createSystem, type System } from '../../src/system.js';
import {
  createServerDatabase,
  createTestDatabase,
  dbTargets,
  quietLogger,
  serverDatabaseUrl,
  testConfig,
} from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

/** SPEC §10 "Audit chain": what the first design missed, each as an attack on the stored rows. */
describe.each(dbTargets)('audit chain tamper-evidence on %s', (target) => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await createTestSystem(target);
  });
  afterAll(() => t.close());

  it('detects deleted newest rows only against a recorded head (--head), over the API too', async () => {
    for (let i = 0; i < 6; i++) await t.system.audit.append({ action: 'a.b', resourceType: 'x' });
    const intact = await t.system.audit.verify();
    expect(intact).toMatchObject({ ok: true, checked: 6, head: { seq: 6 } });
    const head = intact.head!;
    expect(await t.system.audit.verify(head)).toMatchObject({ ok: true, checked: 6 });

    await t.system.db.query('DELETE FROM audit_logs WHERE seq >= 5');
    // Deleting the newest rows leaves a valid (shorter) chain: only the recorded head tells.
    expect(await t.system.audit.verify()).toMatchObject({ ok: true, checked: 4 });
    const res = await t.inject(`/api/audit/verify?head=${head.seq}:${head.hash}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: false, checked: 4, firstBrokenSeq: '6', reason: 'head_missing' });
    expect((await t.inject('/api/audit/verify?head=6:nothex')).statusCode).toBe(400);
  });

  it('detects a recorded head whose row was rewritten', async () => {
    const head = (await t.system.audit.verify()).head!;
    await t.system.db.query(`UPDATE audit_logs SET hash = $2 WHERE seq = $1`, [head.seq, 'f'.repeat(64)]);
    const result = await t.system.audit.verify({ seq: head.seq, hash: head.hash });
    expect(result).toMatchObject({ ok: false, firstBrokenSeq: String(head.seq) });
    await t.system.db.query(`UPDATE audit_logs SET hash = $2 WHERE seq = $1`, [head.seq, head.hash]);
  });

  it('reports a row inserted without a chain position (back-dated past the grace) as broken', async () => {
    expect(await t.system.audit.verify()).toMatchObject({ ok: true });
    const old = new Date(Date.now() - 10 * 60_000).toISOString();
    const { rows } = await t.system.db.query<{ id: string }>(
      `INSERT INTO audit_logs (action, resource_type, created_at) VALUES ('user.delete', 'user', $1) RETURNING id`,
      [old],
    );
    const result = await t.system.audit.verify();
    expect(result).toMatchObject({ ok: false, firstBrokenId: rows[0].id, reason: 'unchained' });
    // The chainer never adopts it: it stays visible on every later verify.
    await t.system.audit.append({ action: 'a.b', resourceType: 'x' });
    expect(await t.system.audit.verify()).toMatchObject({ ok: false, reason: 'unchained' });
    await t.system.db.query('DELETE FROM audit_logs WHERE id = $1', [rows[0].id]);
  });

  it('exports the head as metrics', async () => {
    const head = (await t.system.audit.verify()).head!;
    const text = await t.system.metrics.prometheus();
    expect(text).toContain(`bsm_audit_head_seq ${head.seq}`);
    expect(text).toContain(`bsm_audit_head_info{hash="${head.hash}"} 1`);
  });
});

describe.each(dbTargets)('audit chain upgraded from the SHA-256 design on %s', (target) => {
  it('keeps verifying old SHA-256 rows, chains pre-chain rows, and pins the cutover', async () => {
    const database = await createTestDatabase(target);
    let system: System | undefined;
    try {
      // A database as the first design left it: two SHA-256 rows and one from before migration 015.
      await migrate(database.db, quietLogger);
      await database.db.query('DELETE FROM audit_chain_state');
      await database.db.query(
        `INSERT INTO audit_logs (action, resource_type, created_at) VALUES ('old.row', 'x', '2024-01-01T00:00:00Z')`,
      );
      let prev = GENESIS_HASH;
      for (let seq = 1; seq <= 2; seq++) {
        const { rows } = await database.db.query<AuditLogRow>(
          `INSERT INTO audit_logs (action, resource_type, created_at, seq, prev_hash)
           VALUES ('legacy', 'x', $1, $2, $3) RETURNING *`,
          [new Date().toISOString(), seq, prev],
        );
        prev = chainHash(prev, toChainRow(rows[0]));
        await database.db.query('UPDATE audit_logs SET hash = $2 WHERE id = $1', [rows[0].id, prev]);
      }
      const config = testConfig(database.url ? { DATABASE_URL: database.url } : {});
      system = await createSystem(config, { logger: quietLogger, db: database.db });
      await system.audit.append({ action: 'new.row', resourceType: 'x' });
      expect(await system.audit.verify()).toMatchObject({ ok: true, checked: 4, head: { seq: 4 } });
      const { rows: state } = await system.db.query<{ sha256_until_seq: string | number }>(
        'SELECT sha256_until_seq FROM audit_chain_state',
      );
      expect(Number(state[0].sha256_until_seq)).toBe(2);

      // Past the cutover, a hash recomputed with plain SHA-256 after an edit is refused …
      const row = (await system.db.query<AuditLogRow>('SELECT * FROM audit_logs WHERE seq = 4')).rows[0];
      await system.db.query(`UPDATE audit_logs SET details = '{"forged":1}' WHERE seq = 4`);
      const edited = (await system.db.query<AuditLogRow>('SELECT * FROM audit_logs WHERE seq = 4')).rows[0];
      await system.db.query('UPDATE audit_logs SET hash = $1 WHERE seq = 4', [
        chainHash(edited.prev_hash!, toChainRow(edited)),
      ]);
      expect(await system.audit.verify()).toMatchObject({
        ok: false,
        firstBrokenId: row.id,
        reason: 'hash_mismatch',
      });
      // … and so is moving the cutover to cover it.
      await system.db.query('UPDATE audit_chain_state SET sha256_until_seq = 4');
      expect(await system.audit.verify()).toMatchObject({ ok: false, reason: 'cutover_mismatch' });
      // Deleting the state is no way out: it is not re-created over an HMAC chain, verify turns
      // strict (the SHA-256 rows fail), and a back-dated unchained row is still not adopted.
      await system.db.query('UPDATE audit_logs SET details = $1, hash = $2 WHERE seq = 4', [
        JSON.stringify(row.details),
        row.hash,
      ]);
      await system.db.query('DELETE FROM audit_chain_state');
      await system.db.query(
        `INSERT INTO audit_logs (action, resource_type, created_at) VALUES ('slipped.in', 'x', '2024-02-01T00:00:00Z')`,
      );
      expect(await system.audit.verify()).toMatchObject({
        ok: false,
        firstBrokenSeq: '1',
        reason: 'hash_mismatch',
      });
      const { rows: after } = await system.db.query<{ n: number; unchained: number }>(
        `SELECT (SELECT count(*) FROM audit_chain_state)::int AS n,
                (SELECT count(*) FROM audit_logs WHERE seq IS NULL)::int AS unchained`,
      );
      expect(after[0]).toEqual({ n: 0, unchained: 1 });
    } finally {
      await system?.close();
      await database.drop().catch(() => undefined);
    }
  });
});

describe.runIf(serverDatabaseUrl)('audit chainer on one real PostgreSQL', () => {
  const env = { ENCRYPTION_KEY: 'cd'.repeat(32) };

  async function unchained(system: System): Promise<number> {
    const { rows } = await system.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM audit_logs WHERE seq IS NULL',
    );
    return rows[0].n;
  }

  async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('is taken over by a live node when the node holding the chain lock goes away', async () => {
    const server = await createServerDatabase();
    const config = testConfig({ DATABASE_URL: server.url, ...env });
    const a = await createSystem(config, { logger: quietLogger });
    const b = await createSystem(config, { logger: quietLogger });
    // A third session stands for a chainer stuck mid-batch: it holds the lock in an open transaction.
    const stuck = new pg.Client({ connectionString: server.url });
    await stuck.connect();
    stuck.on('error', () => undefined);
    try {
      await stuck.query('BEGIN');
      await stuck.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK_KEY]);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).audit.record({ action: 'task.create', resourceType: 'task', resourceId: `t${i}` }),
        ),
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(await unchained(b)).toBe(20);
      // Node A stops, and the stuck one dies (its connection drops and the lock with it).
      await a.close();
      await stuck.end();
      await until(async () => (await unchained(b)) === 0);
      expect(await b.audit.verify()).toMatchObject({ ok: true, checked: 20, head: { seq: 20 } });
    } finally {
      await stuck.end().catch(() => undefined);
      await a.close().catch(() => undefined);
      await b.close();
      await server.drop();
    }
  });

  it('keeps one complete chain under many concurrent writers from two Systems', async () => {
    const server = await createServerDatabase();
    const config = testConfig({ DATABASE_URL: server.url, ...env });
    const a = await createSystem(config, { logger: quietLogger });
    const b = await createSystem(config, { logger: quietLogger });
    try {
      const write = (s: System, name: string) =>
        Promise.all(
          Array.from({ length: 300 }, (_, i) =>
            s.audit.record({ action: 'task.create', resourceType: 'task', resourceId: `${name}${i}` }),
          ),
        );
      await Promise.all([write(a, 'a'), write(b, 'b')]);
      // Without waiting for anything: the background chainers finish on their own.
      await until(async () => (await unchained(a)) === 0);
      expect(await a.audit.verify()).toMatchObject({ ok: true, checked: 600, head: { seq: 600 } });
      const { rows } = await a.db.query<{ n: number; max: string; ids: number }>(
        'SELECT count(*)::int AS n, max(seq)::text AS max, count(DISTINCT resource_id)::int AS ids FROM audit_logs',
      );
      expect(rows[0]).toEqual({ n: 600, max: '600', ids: 600 });
      expect(a.audit.writeFailures() + b.audit.writeFailures()).toBe(0);
    } finally {
      await a.close();
      await b.close();
      await server.drop();
    }
  });
});
