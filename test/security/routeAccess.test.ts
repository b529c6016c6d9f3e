/**
 * RBAC on every route, driven from the app's own route table: whatever route anyone adds is
 * covered without editing this file.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HTTPMethods } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type RouteEntry, registeredRoutes } from '../../src/api/app.js';
import type { UserRole } from '../../src/domain.js';
import { type Permission, ROLE_PERMISSIONS } from '../../src/security/permissions.js';
import { createCaller, type TestCaller } from '../helpers/auth.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

/** A concrete URL for a route pattern: every path parameter filled with a plausible value. */
function concrete(url: string): string {
  return url.replace(/:(\w+)/g, (_m, name: string) => (name === 'id' ? randomUUID() : 'some-handle'));
}

describe.each(dbTargets)('route access on %s', (target) => {
  let t: TestSystem;
  const callers = {} as Record<UserRole, TestCaller>;
  beforeAll(async () => {
    t = await createTestSystem(target);
    for (const role of ['admin', 'user', 'viewer'] as const)
      callers[role] = await createCaller(t.system, role);
  });
  afterAll(() => t.close());

  const guarded = () => registeredRoutes(t.app).filter((r) => r.access !== 'public');

  it('has a route table covering the auth, users, security, agents and models routes', () => {
    const urls = registeredRoutes(t.app).map((r) => `${r.method} ${r.url}`);
    expect(urls).toEqual(
      expect.arrayContaining([
        'POST /api/auth/login',
        'GET /api/auth/me',
        'DELETE /api/auth/api-keys/:id',
        'PATCH /api/users/:id',
        'GET /api/security/threats',
        'GET /api/agents',
        'POST /api/models/:modelId/deploy',
      ]),
    );
    expect(guarded().length).toBeGreaterThan(20);
  });

  it('answers 401 UNAUTHENTICATED on every non-public route without credentials or with a bad one', async () => {
    for (const route of guarded()) {
      const url = concrete(route.url);
      const method = route.method as HTTPMethods;
      for (const headers of [{}, { authorization: 'Bearer not-a-token' }, { 'x-auth-token': 'bsm_nope' }]) {
        const res = await t.app.inject({ method, url, headers, payload: method === 'GET' ? undefined : {} });
        expect(res.statusCode, `${route.method} ${route.url}`).toBe(401);
        if (method !== 'HEAD') expect(res.json().error.code).toBe('UNAUTHENTICATED');
      }
    }
  });

  it('answers 403 FORBIDDEN on every route to each role lacking its permission, per ROLE_PERMISSIONS', async () => {
    let checked = 0;
    for (const route of guarded()) {
      if (route.access === 'authenticated') continue;
      const permission = route.access as Permission;
      for (const role of ['user', 'viewer'] as const) {
        if (ROLE_PERMISSIONS[role].has(permission)) continue;
        const method = route.method as HTTPMethods;
        const res = await t.app.inject({
          method,
          url: concrete(route.url),
          headers: callers[role].headers,
          payload: method === 'GET' || method === 'HEAD' ? undefined : {},
        });
        expect(res.statusCode, `${role} ${route.method} ${route.url}`).toBe(403);
        if (method !== 'HEAD')
          expect(res.json().error).toMatchObject({ code: 'FORBIDDEN', details: { permission } });
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  /** Status of a GET; a streaming route never ends, so read its status line over HTTP and hang up. */
  async function statusOfGet(route: RouteEntry, headers: Record<string, string>): Promise<number> {
    if (!route.stream)
      return (await t.app.inject({ method: 'GET', url: concrete(route.url), headers })).statusCode;
    if (!t.app.server.listening) await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: concrete(route.url), headers }, (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
    });
  }

  it('lets each role through every route whose permission it holds (never 401 or 403)', async () => {
    let streams = 0;
    for (const route of guarded()) {
      for (const role of ['admin', 'user', 'viewer'] as const) {
        const allowed =
          route.access === 'authenticated' || ROLE_PERMISSIONS[role].has(route.access as Permission);
        if (!allowed || route.method !== 'GET') continue;
        if (route.stream) streams += 1;
        const status = await statusOfGet(route, callers[role].headers);
        expect([401, 403], `${role} GET ${route.url}`).not.toContain(status);
      }
    }
    expect(streams).toBeGreaterThan(0); // the event stream was reached too
  });

  it('audits an authorisation failure with the user, the route and the missing permission', async () => {
    await t.app.inject({ method: 'GET', url: '/api/users', headers: callers.viewer.headers });
    const rows = await t.system.repos.auditLogs.list({
      action: 'auth.forbidden',
      userId: callers.viewer.user.id,
    });
    expect(rows.items[0]).toMatchObject({
      resourceType: 'route',
      resourceId: 'GET /api/users',
      details: { permission: 'user:manage', role: 'viewer' },
      ipAddress: '127.0.0.1',
    });
  });
});

describe('route declarations', () => {
  it('refuses to build an app with a route that declares no access', async () => {
    const t = await createTestSystem('pglite');
    try {
      await expect(
        buildApp(t.system, {
          plugins: [
            {
              prefix: '/api/sneaky',
              plugin: async (app) => {
                app.get('/open', async () => ({ secret: true }));
              },
            },
          ],
        }),
      ).rejects.toThrow(/GET \/api\/sneaky\/open declares no access/);
    } finally {
      await t.close();
    }
  });
});
