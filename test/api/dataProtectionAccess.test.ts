import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { AppError } from '../../src/errors.js';
import type { RouteAccess } from '../../src/security/permissions.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

/**
 * The guard (built on the auth branch) enforces whatever a route declares; here a stand-in guard
 * records the declaration and refuses, proving each data-protection route declares the
 * permission SPEC §7 gives it and that a refusal stops the handler.
 */
describe('data-protection routes declare their permission', () => {
  let t: TestSystem;
  const seen = new Map<string, RouteAccess>();
  let app: Awaited<ReturnType<typeof buildApp>>;
  beforeAll(async () => {
    t = await createTestSystem('pglite');
    app = await buildApp(t.system, {
      guard: async (request, access) => {
        seen.set(`${request.method} ${request.routeOptions.url}`, access);
        throw new AppError('Forbidden', 403, 'FORBIDDEN');
      },
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await t.close();
  });

  it.each([
    ['GET', '/api/audit', 'audit:view'],
    ['GET', '/api/audit/verify', 'audit:view'],
    ['GET', '/api/audit/metrics', 'audit:view'],
    ['GET', '/api/secrets', 'secret:manage'],
    ['PUT', '/api/secrets/:name', 'secret:manage'],
    ['DELETE', '/api/secrets/:name', 'secret:manage'],
    ['GET', '/api/security/compliance', 'security:view'],
  ])('%s %s requires %s', async (method, url, access) => {
    const res = await app.inject({
      method: method as 'GET',
      url: url.replace(':name', 'openai'),
      ...(method === 'PUT' ? { payload: { value: 'v' } } : {}),
    });
    expect(res.statusCode).toBe(403);
    expect(seen.get(`${method} ${url}`)).toBe(access);
  });

  it('stored nothing while refusing', async () => {
    expect((await t.system.db.query('SELECT * FROM secrets')).rowCount).toBe(0);
  });
});
