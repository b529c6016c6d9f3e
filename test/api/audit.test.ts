import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe.each(dbTargets)('audit API on %s', (target) => {
  let t: TestSystem;
  let userId: string;
  beforeAll(async () => {
    t = await createTestSystem(target);
    const user = await t.system.repos.users.create({
      username: 'ann',
      email: 'ann@example.com',
      passwordHash: 'h',
    });
    userId = user.id;
    await t.system.audit.append({ userId, action: 'agent.create', resourceType: 'agent', resourceId: 'a1' });
    await t.system.audit.append({ action: 'auth.login_failed', resourceType: 'user', ipAddress: '10.0.0.9' });
    await t.inject({
      method: 'POST',
      url: '/api/models',
      payload: { modelId: 'm1', name: 'M', type: 'nlp', version: '1' },
    });
    // A request's row is chained in the background moments later; these tests read the links.
    await t.system.audit.chainer.flush();
  });
  afterAll(() => t.close());

  it('lists rows newest first with their chain links', async () => {
    const res = await t.inject('/api/audit');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ total: 3, limit: 50, offset: 0 });
    expect(body.items.map((r: { action: string }) => r.action)).toEqual([
      'model.create',
      'auth.login_failed',
      'agent.create',
    ]);
    expect(body.items[0]).toMatchObject({ seq: 3, resourceType: 'model', resourceId: 'm1' });
    expect(body.items[0].prevHash).toBe(body.items[1].hash);
  });

  it('filters by user, action, resource type, time range, limit and offset', async () => {
    const get = async (q: string) => (await t.inject(`/api/audit?${q}`)).json();
    expect((await get(`userId=${userId}`)).items.map((r: { action: string }) => r.action)).toEqual([
      'agent.create',
    ]);
    expect((await get('action=auth.login_failed')).items[0]).toMatchObject({
      ipAddress: '10.0.0.9',
      userId: null,
    });
    expect((await get('resourceType=model')).total).toBe(1);
    const hourAhead = new Date(Date.now() + 3_600_000).toISOString();
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    expect((await get(`from=${encodeURIComponent(hourAhead)}`)).total).toBe(0);
    expect((await get(`from=${encodeURIComponent(hourAgo)}&to=${encodeURIComponent(hourAhead)}`)).total).toBe(
      3,
    );
    const page = await get('limit=1&offset=1');
    expect(page).toMatchObject({ total: 3, limit: 1, offset: 1 });
    expect(page.items.map((r: { action: string }) => r.action)).toEqual(['auth.login_failed']);
  });

  it('answers 400 for malformed or hostile filters and changes nothing', async () => {
    const hostile = [
      'userId=not-a-uuid',
      `action=${encodeURIComponent("x' OR '1'='1")}`,
      `resourceType=${encodeURIComponent('agent; DROP TABLE audit_logs;--')}`,
      'from=yesterday',
      `from=${encodeURIComponent('2030-01-01T00:00:00Z')}&to=${encodeURIComponent('2020-01-01T00:00:00Z')}`,
      'limit=0',
      'limit=501',
      'offset=-1',
      'sort=action',
    ];
    for (const q of hostile) {
      const res = await t.inject(`/api/audit?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_ERROR');
    }
    expect((await t.inject('/api/audit')).json().total).toBe(3);
    expect((await t.inject('/api/audit/verify')).json()).toMatchObject({ ok: true, checked: 3 });
  });

  it('reports counts per action and write failures', async () => {
    const res = await t.inject('/api/audit/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      total: 3,
      byAction: { 'agent.create': 1, 'auth.login_failed': 1, 'model.create': 1 },
      writeFailures: 0,
    });
  });

  it('counts a failed audit write without failing the caller', async () => {
    // A NUL byte cannot be stored in PostgreSQL text: the write fails inside the database.
    await expect(
      t.system.audit.record({ action: 'bad', resourceType: 'x', userAgent: 'a\u0000b' }),
    ).resolves.toBeUndefined();
    expect((await t.inject('/api/audit/metrics')).json().writeFailures).toBe(1);
    expect((await t.inject('/api/audit/verify')).json()).toMatchObject({ ok: true, checked: 3 });
  });

  it('stores details with passwords, tokens and secret values redacted', async () => {
    await t.system.audit.record({
      action: 'user.update',
      resourceType: 'user',
      details: { fields: ['password'], password: 'Tr0ub4dor&3-horse', nested: { refreshToken: 'rt_abc123' } },
    });
    const { rows } = await t.system.db.query<{ j: string }>(
      `SELECT details::text AS j FROM audit_logs WHERE action = 'user.update'`,
    );
    expect(rows[0].j).not.toContain('Tr0ub4dor');
    expect(rows[0].j).not.toContain('rt_abc123');
    expect(JSON.parse(rows[0].j)).toEqual({
      fields: ['password'],
      password: '[redacted]',
      nested: { refreshToken: '[redacted]' },
    });
    expect((await t.inject('/api/audit/verify')).json()).toMatchObject({ ok: true, checked: 4 });
  });
});
