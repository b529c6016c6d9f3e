/**
 * SPEC §10 "Credentials": a password reset revokes the user's sessions and API keys (unless
 * `keepApiKeys`), keys carry `expiresAt` (BSM_API_KEY_TTL_DAYS, default 90; 0 = never) and an
 * expired key is a 401, and admins list and revoke anyone's keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, type Inject, injectAs, type TestCaller } from '../helpers/auth.js';
import { dbTargets, serverRedisUrl } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

const NEW_PASSWORD = 'another-Lantern-orbit-77';
const DAY_MS = 86_400_000;

describe.each(dbTargets)('API key lifecycle on %s', (target) => {
  let t: TestSystem;
  let admin: Inject;
  const redis: Record<string, string> =
    target === 'pg' && serverRedisUrl ? { REDIS_URL: serverRedisUrl } : {};
  beforeAll(async () => {
    t = await createTestSystem(target, redis);
    admin = injectAs(t.app, await createCaller(t.system, 'admin'));
  });
  afterAll(() => t?.close());

  async function mintKey(caller: TestCaller, body: object = {}) {
    const res = await injectAs(
      t.app,
      caller,
    )({
      method: 'POST',
      url: '/api/auth/api-keys',
      payload: { name: 'ci', ...body },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { key: string; apiKey: { id: string; expiresAt: string | null } };
  }
  const withKey = (key: string) =>
    t.app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${key}` } });

  it('gives a key the default lifetime, accepts a shorter one and refuses a longer one', async () => {
    const user = await createCaller(t.system, 'user');
    const { apiKey } = await mintKey(user);
    const days = (Date.parse(apiKey.expiresAt as string) - Date.now()) / DAY_MS;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThan(90.1);
    const short = await mintKey(user, { expiresInDays: 7 });
    expect((Date.parse(short.apiKey.expiresAt as string) - Date.now()) / DAY_MS).toBeCloseTo(7, 1);
    const tooLong = await injectAs(
      t.app,
      user,
    )({
      method: 'POST',
      url: '/api/auth/api-keys',
      payload: { name: 'forever', expiresInDays: 365 },
    });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().error).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { field: 'expiresInDays' },
    });
  });

  it('answers 401 for an expired key', async () => {
    const user = await createCaller(t.system, 'user');
    const { key, apiKey } = await mintKey(user);
    expect((await withKey(key)).statusCode).toBe(200);
    await t.system.db.query(
      `UPDATE api_keys SET expires_at = CURRENT_TIMESTAMP - interval '1 minute' WHERE id = $1`,
      [apiKey.id],
    );
    const res = await withKey(key);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHENTICATED');
  });

  it('revokes sessions and API keys on a password reset', async () => {
    const user = await createCaller(t.system, 'user');
    const { key } = await mintKey(user);
    const reset = await admin({
      method: 'PATCH',
      url: `/api/users/${user.user.id}`,
      payload: { password: NEW_PASSWORD },
    });
    expect(reset.statusCode, reset.body).toBe(200);
    expect((await withKey(key)).statusCode).toBe(401);
    expect((await injectAs(t.app, user)('/api/auth/me')).statusCode).toBe(401);
    const audit = await t.system.repos.auditLogs.list({ action: 'user.password_reset' });
    expect(audit.items[0].details).toMatchObject({ keysKept: false });
  });

  it('keeps API keys on a password reset with keepApiKeys: true (sessions still end)', async () => {
    const user = await createCaller(t.system, 'user');
    const { key } = await mintKey(user);
    const reset = await admin({
      method: 'PATCH',
      url: `/api/users/${user.user.id}`,
      payload: { password: NEW_PASSWORD, keepApiKeys: true },
    });
    expect(reset.statusCode, reset.body).toBe(200);
    expect((await withKey(key)).statusCode).toBe(200);
    expect((await injectAs(t.app, user)('/api/auth/me')).statusCode).toBe(401);
    // keepApiKeys without a password means nothing: refused.
    const alone = await admin({
      method: 'PATCH',
      url: `/api/users/${user.user.id}`,
      payload: { keepApiKeys: true },
    });
    expect(alone.statusCode).toBe(400);
  });

  it("lets an admin list and revoke another user's keys, audited; others get 403", async () => {
    const user = await createCaller(t.system, 'user');
    const other = await createCaller(t.system, 'user');
    const { key, apiKey } = await mintKey(user);
    const listed = await admin(`/api/users/${user.user.id}/api-keys`);
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items).toEqual([
      expect.objectContaining({ id: apiKey.id, name: 'ci', revokedAt: null }),
    ]);
    expect(listed.body).not.toContain(key);
    expect(listed.body).not.toContain('keyHash');
    expect((await injectAs(t.app, other)(`/api/users/${user.user.id}/api-keys`)).statusCode).toBe(403);
    // The key id under another user's id is not found.
    const wrongOwner = await admin({
      method: 'DELETE',
      url: `/api/users/${other.user.id}/api-keys/${apiKey.id}`,
    });
    expect(wrongOwner.statusCode).toBe(404);
    expect((await withKey(key)).statusCode).toBe(200);
    const revoked = await admin({
      method: 'DELETE',
      url: `/api/users/${user.user.id}/api-keys/${apiKey.id}`,
    });
    expect(revoked.statusCode).toBe(204);
    expect((await withKey(key)).statusCode).toBe(401);
    const audit = await t.system.repos.auditLogs.list({ action: 'api_key.revoke' });
    expect(audit.items[0]).toMatchObject({ resourceId: apiKey.id, details: { ownerId: user.user.id } });
    expect((await admin('/api/users/00000000-0000-0000-0000-000000000000/api-keys')).statusCode).toBe(404);
  });

  it('never expires keys by default with BSM_API_KEY_TTL_DAYS=0', async () => {
    const s = await createTestSystem(target, { ...redis, BSM_API_KEY_TTL_DAYS: '0' });
    try {
      const user = await createCaller(s.system, 'user');
      const res = await injectAs(
        s.app,
        user,
      )({ method: 'POST', url: '/api/auth/api-keys', payload: { name: 'x' } });
      expect(res.json().apiKey.expiresAt).toBeNull();
      const long = await injectAs(
        s.app,
        user,
      )({
        method: 'POST',
        url: '/api/auth/api-keys',
        payload: { name: 'y', expiresInDays: 365 },
      });
      expect(long.statusCode).toBe(201);
    } finally {
      await s.close();
    }
  }, 180_000);
});
