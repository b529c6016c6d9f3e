import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, type Inject, injectAs, type TestCaller } from '../helpers/auth.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe.each(dbTargets)('users and API keys API on %s', (target) => {
  let t: TestSystem;
  let admin: TestCaller;
  let as: Inject;
  beforeAll(async () => {
    t = await createTestSystem(target);
    admin = await createCaller(t.system, 'admin');
    as = injectAs(t.app, admin);
  });
  afterAll(() => t.close());

  const strong = 'lantern-orbit-velvet-42';

  it('creates a user with a role (201), never showing the hash, and answers 409 USER_EXISTS twice', async () => {
    const body = { username: 'carol', email: 'carol@example.test', password: strong, role: 'viewer' };
    const res = await as({ method: 'POST', url: '/api/users', payload: body });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ username: 'carol', role: 'viewer', isActive: true });
    expect(JSON.stringify(res.json())).not.toMatch(/argon2|password/i);
    expect((await as({ method: 'POST', url: '/api/users', payload: body })).json().error.code).toBe(
      'USER_EXISTS',
    );
    const audit = await t.system.repos.auditLogs.list({ action: 'user.create' });
    expect(audit.items[0]).toMatchObject({ userId: admin.user.id, resourceId: res.json().id });
  });

  it('enforces the password policy: length, not the username, not a common password', async () => {
    const cases = [
      ['short', 'Sh0rt!pass'],
      ['username', 'dave-the-builder'],
      ['common', 'password1234'],
      ['common padded', 'Welcome12345!'],
      ['repeated', 'aaaaaaaaaaaaaaa'],
      ['too long', 'x'.repeat(129)],
    ];
    for (const [what, password] of cases) {
      const res = await as({
        method: 'POST',
        url: '/api/users',
        payload: { username: 'dave-the-builder', email: 'dave@example.test', password },
      });
      expect(res.statusCode, what).toBe(400);
      expect(res.json().error.code, what).toBe('WEAK_PASSWORD');
    }
    expect(
      (await as('/api/users?role=user')).json().items.map((u: { username: string }) => u.username),
    ).not.toContain('dave-the-builder');
  });

  it('lists, gets, changes role, resets the password and deactivates', async () => {
    const created = (
      await as({
        method: 'POST',
        url: '/api/users',
        payload: { username: 'erin', email: 'erin@example.test', password: strong },
      })
    ).json();
    expect(created.role).toBe('user');
    expect((await as(`/api/users/${created.id}`)).json().username).toBe('erin');
    expect((await as('/api/users?isActive=true&limit=500')).json().items.length).toBeGreaterThan(1);
    const promoted = await as({
      method: 'PATCH',
      url: `/api/users/${created.id}`,
      payload: { role: 'viewer' },
    });
    expect(promoted.json().role).toBe('viewer');
    const weak = await as({
      method: 'PATCH',
      url: `/api/users/${created.id}`,
      payload: { password: 'erin' },
    });
    expect(weak.statusCode).toBe(400);
    const unknownField = await as({
      method: 'PATCH',
      url: `/api/users/${created.id}`,
      payload: { admin: true },
    });
    expect(unknownField.statusCode).toBe(400);
    expect((await as({ method: 'DELETE', url: `/api/users/${created.id}` })).statusCode).toBe(204);
    expect((await as(`/api/users/${created.id}`)).json().isActive).toBe(false);
    expect((await as('/api/users/not-a-uuid')).json().error.code).toBe('USER_NOT_FOUND');
  });

  it('never demotes or deactivates the last active admin', async () => {
    const t2 = await createTestSystem('pglite');
    try {
      const only = await createCaller(t2.system, 'admin');
      const res = await injectAs(t2.app, only)({ method: 'DELETE', url: `/api/users/${only.user.id}` });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('LAST_ADMIN');
    } finally {
      await t2.close();
    }
  });

  it('creates an API key shown once, authenticates with it, caps its role, and revokes it', async () => {
    const owner = await createCaller(t.system, 'user');
    const mine = injectAs(t.app, owner);
    const tooHigh = await mine({
      method: 'POST',
      url: '/api/auth/api-keys',
      payload: { name: 'ci', role: 'admin' },
    });
    expect(tooHigh.statusCode).toBe(403);
    const created = await mine({
      method: 'POST',
      url: '/api/auth/api-keys',
      payload: { name: 'ci', role: 'viewer' },
    });
    expect(created.statusCode).toBe(201);
    const { key, apiKey } = created.json();
    expect(key).toMatch(/^bsm_[A-Za-z0-9_-]{40,}$/);
    expect(apiKey).toMatchObject({ name: 'ci', role: 'viewer', prefix: key.slice(0, 12) });
    const listed = (await mine('/api/auth/api-keys')).json().items;
    expect(listed).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(key);

    const byKey = await t.app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${key}` } });
    expect(byKey.json()).toMatchObject({ id: owner.user.id, role: 'viewer' });
    // The key acts as a viewer: reading is fine, creating a task-like resource is not.
    const forbidden = await t.app.inject({
      method: 'POST',
      url: '/api/auth/api-keys',
      headers: { 'x-auth-token': key },
      payload: { name: 'escalate', role: 'user' },
    });
    expect(forbidden.statusCode).toBe(403);

    // Someone else cannot revoke it; its owner can, and then it stops working.
    const other = injectAs(t.app, await createCaller(t.system, 'user'));
    expect((await other({ method: 'DELETE', url: `/api/auth/api-keys/${apiKey.id}` })).statusCode).toBe(404);
    expect((await mine({ method: 'DELETE', url: `/api/auth/api-keys/${apiKey.id}` })).statusCode).toBe(204);
    const after = await t.app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${key}` } });
    expect(after.statusCode).toBe(401);
  });

  it('keeps registration closed unless BSM_ALLOW_SIGNUP is true', async () => {
    const body = { username: 'frank', email: 'frank@example.test', password: strong };
    const closed = await t.app.inject({ method: 'POST', url: '/api/auth/register', payload: body });
    expect(closed.statusCode).toBe(403);
    expect(closed.json().error.code).toBe('SIGNUP_DISABLED');
  });
});

describe('open sign-up and the first admin', () => {
  it('registers with role user only, even when another role is asked for', async () => {
    const t = await createTestSystem('pglite', { BSM_ALLOW_SIGNUP: 'true' });
    try {
      const body = { username: 'gina', email: 'gina@example.test', password: 'lantern-orbit-velvet-42' };
      const escalate = await t.app.inject({
        method: 'POST',
        url: '/api/auth/register',
        payload: { ...body, role: 'admin' },
      });
      expect(escalate.statusCode).toBe(400);
      const res = await t.app.inject({ method: 'POST', url: '/api/auth/register', payload: body });
      expect(res.statusCode).toBe(201);
      expect(res.json().role).toBe('user');
      const login = await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'gina', password: body.password },
      });
      expect(login.statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('bootstraps one admin on an empty database, from BSM_ADMIN_* or with a generated password', async () => {
    const t = await createTestSystem('pglite', {
      BSM_ADMIN_USERNAME: 'root-op',
      BSM_ADMIN_PASSWORD: 'given-passphrase-99',
    });
    try {
      const first = await t.system.security.accounts.bootstrapAdmin(t.system.config.admin);
      expect(first).toEqual({ created: true, username: 'root-op', generatedPassword: undefined });
      expect(await t.system.security.accounts.bootstrapAdmin(t.system.config.admin)).toEqual({
        created: false,
      });
      const login = await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'root-op', password: 'given-passphrase-99' },
      });
      expect(login.json().user.role).toBe('admin');
    } finally {
      await t.close();
    }
    const g = await createTestSystem('pglite');
    try {
      const made = await g.system.security.accounts.bootstrapAdmin(g.system.config.admin);
      if (!made.created) throw new Error('expected an admin');
      expect(made.username).toBe('admin');
      expect(made.generatedPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
      const login = await g.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'admin', password: made.generatedPassword },
      });
      expect(login.statusCode).toBe(200);
    } finally {
      await g.close();
    }
  });

  it('refuses to start with a BSM_ADMIN_PASSWORD that breaks the policy', async () => {
    const t = await createTestSystem('pglite', { BSM_ADMIN_PASSWORD: 'admin' });
    try {
      await expect(t.system.security.accounts.bootstrapAdmin(t.system.config.admin)).rejects.toThrow(
        /BSM_ADMIN_/,
      );
    } finally {
      await t.close();
    }
  });
});
