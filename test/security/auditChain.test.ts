import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditLogRow, toChainRow } from '../../src/repositories/auditLogs.js';
import { scrubSecrets } from '../../src/security/audit.js';
import { canonicalJson, chainHash, GENESIS_HASH } from '../../src/security/auditChain.js';
import { resolveAuditKeys } from '../../src/security/auditKeys.js';
import { createSystem, type System } from '../../src/system.js';
import {
  createServerDatabase,
  dbTargets,
  quietLogger,
  serverDatabaseUrl,
  testConfig,
} from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe('canonical JSON', () => {
  it('sorts keys at every depth so JSONB key order cannot change a hash', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"x":0,"y":1}]},"b":1}',
    );
  });
});

describe('scrubSecrets', () => {
  it('redacts passwords, tokens, keys and secret values at any depth', () => {
    const scrubbed = scrubSecrets({
      username: 'ann',
      password: 'hunter2hunter2',
      nested: { apiKey: 'bsm_abc', list: [{ refreshToken: 'r1' }], value: 'sk-live' },
      authorization: 'Bearer x',
    });
    expect(scrubbed).toEqual({
      username: 'ann',
      password: '[redacted]',
      nested: { apiKey: '[redacted]', list: [{ refreshToken: '[redacted]' }], value: '[redacted]' },
      authorization: '[redacted]',
    });
  });
});

function keysOf(t: { system: System } | System) {
  const system = 'system' in t ? t.system : t;
  return resolveAuditKeys(system.config.auditKey, system.secrets.encryptionKey, system.config.encryptionKeys);
}

describe.each(dbTargets)('audit hash chain on %s', (target) => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await createTestSystem(target);
  });
  afterAll(() => t.close());

  it('links each row to the previous one, starting from the genesis hash', async () => {
    const first = await t.system.audit.append({
      action: 'agent.create',
      resourceType: 'agent',
      resourceId: 'a',
    });
    const second = await t.system.audit.append({
      action: 'agent.update',
      resourceType: 'agent',
      resourceId: 'a',
      details: { fields: ['name'], b: 2, a: 1 },
      ipAddress: '::ffff:127.0.0.1',
    });
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash });
    expect(await t.system.audit.verify()).toEqual({
      ok: true,
      checked: 2,
      head: { seq: 2, hash: second.hash },
    });
  });

  it('keeps the chain valid under many concurrent writers', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        t.system.audit.record({ action: 'task.create', resourceType: 'task', resourceId: `t${i}` }),
      ),
    );
    const result = await t.system.audit.verify();
    expect(result).toMatchObject({ ok: true, checked: 42, head: { seq: 42 } });
    const { rows } = await t.system.db.query<{ seq: string | number }>(
      'SELECT seq FROM audit_logs ORDER BY seq',
    );
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 42 }, (_, i) => i + 1));
    expect((await t.system.audit.metrics()).writeFailures).toBe(0);
  });

  it('names the row whose content was edited directly in the database, over the API too', async () => {
    const { rows } = await t.system.db.query<{ id: string }>('SELECT id FROM audit_logs WHERE seq = 10');
    const edited = rows[0].id;
    await t.system.db.query(`UPDATE audit_logs SET details = '{"forged": true}' WHERE id = $1`, [edited]);
    const res = await t.inject('/api/audit/verify');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      ok: false,
      checked: 10,
      firstBrokenId: edited,
      firstBrokenSeq: '10',
      reason: 'hash_mismatch',
    });
    // Without the audit key, recomputing the hash with plain SHA-256 does not help the forger.
    const row = (await t.system.db.query<AuditLogRow>('SELECT * FROM audit_logs WHERE id = $1', [edited]))
      .rows[0];
    const sha256 = chainHash(row.prev_hash!, toChainRow(row));
    await t.system.db.query('UPDATE audit_logs SET hash = $2 WHERE id = $1', [edited, sha256]);
    expect((await t.inject('/api/audit/verify')).json()).toMatchObject({
      ok: false,
      checked: 10,
      firstBrokenId: edited,
      reason: 'hash_mismatch',
    });
    // A forger who holds the key and recomputes the edited row's HMAC only moves the break on.
    const rehashed = chainHash(row.prev_hash!, toChainRow(row), keysOf(t).current);
    await t.system.db.query('UPDATE audit_logs SET hash = $2 WHERE id = $1', [edited, rehashed]);
    const next = (await t.system.db.query<{ id: string }>('SELECT id FROM audit_logs WHERE seq = 11')).rows[0]
      .id;
    expect((await t.inject('/api/audit/verify')).json()).toMatchObject({
      ok: false,
      checked: 11,
      firstBrokenId: next,
      reason: 'prev_hash_mismatch',
    });
  });

  it('names the row after a deleted one', async () => {
    const fresh = await createTestSystem(target);
    try {
      for (let i = 0; i < 5; i++) await fresh.system.audit.append({ action: 'a.b', resourceType: 'x' });
      await fresh.system.db.query('DELETE FROM audit_logs WHERE seq = 3');
      const fourth = (await fresh.system.db.query<{ id: string }>('SELECT id FROM audit_logs WHERE seq = 4'))
        .rows[0].id;
      expect(await fresh.system.audit.verify()).toMatchObject({
        ok: false,
        firstBrokenId: fourth,
        reason: 'prev_hash_mismatch',
      });
    } finally {
      await fresh.close();
    }
  });
});

describe.runIf(serverDatabaseUrl)('audit hash chain with two processes on one PostgreSQL', () => {
  it('stays one valid chain when two Systems append at the same time', async () => {
    const server = await createServerDatabase();
    const config = testConfig({ DATABASE_URL: server.url, ENCRYPTION_KEY: 'ab'.repeat(32) });
    const a = await createSystem(config, { logger: quietLogger });
    const b = await createSystem(config, { logger: quietLogger });
    try {
      const write = (s: typeof a, name: string) =>
        Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            s.audit.record({ action: 'task.create', resourceType: 'task', resourceId: `${name}${i}` }),
          ),
        );
      await Promise.all([write(a, 'a'), write(b, 'b')]);
      expect(await a.audit.verify()).toMatchObject({ ok: true, checked: 60 });
      expect(await b.audit.verify()).toMatchObject({ ok: true, checked: 60 });
      expect(a.audit.writeFailures() + b.audit.writeFailures()).toBe(0);
    } finally {
      await a.close();
      await b.close();
      await server.drop();
    }
  });
});
