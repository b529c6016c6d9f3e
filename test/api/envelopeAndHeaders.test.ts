/**
 * SPEC §10: every error in the envelope — the router's own included — U+0000 refused as a 400
 * wherever it appears, and security headers on every answer, refusals included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller, type Inject, injectAs } from '../helpers/auth.js';
import { dbTargets, serverRedisUrl } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

type Res = Awaited<ReturnType<Inject>>;

function expectEnvelope(res: Res, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json();
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toMatchObject({ code, message: expect.any(String) });
}

function expectSecurityHeaders(res: Res) {
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['x-frame-options']).toBeTruthy();
  expect(res.headers['content-security-policy']).toContain("default-src 'none'");
}

describe.each(dbTargets)('envelope and headers on %s', (target) => {
  let t: TestSystem;
  let asUser: Inject;
  let asViewer: Inject;
  beforeAll(async () => {
    const redis: Record<string, string> =
      target === 'pg' && serverRedisUrl ? { REDIS_URL: serverRedisUrl } : {};
    t = await createTestSystem(target, {
      ...redis,
      BSM_BODY_LIMIT_BYTES: '4096',
      BSM_RATE_LIMIT_PER_MINUTE: '30',
    });
    asUser = injectAs(t.app, await createCaller(t.system, 'user'));
    asViewer = injectAs(t.app, await createCaller(t.system, 'viewer'));
    await t.system.agents.create({
      agentId: 'echo-env',
      name: 'Echo',
      role: 'echoes',
      modelProvider: 'echo',
    });
  });
  afterAll(() => t?.close());

  it('answers a path parameter over maxParamLength with 400 VALIDATION_ERROR in the envelope', async () => {
    const res = await asUser(`/api/agents/${'a'.repeat(500)}`);
    expectEnvelope(res, 400, 'VALIDATION_ERROR');
    expectSecurityHeaders(res);
  });

  it('answers a malformed URL with 400 VALIDATION_ERROR in the envelope', async () => {
    const res = await asUser('/api/agents/%E0%A4%A');
    expectEnvelope(res, 400, 'VALIDATION_ERROR');
    expectSecurityHeaders(res);
  });

  it('answers an unknown route with 404 NOT_FOUND in the envelope', async () => {
    expectEnvelope(await t.app.inject('/api/nothing-here'), 404, 'NOT_FOUND');
    expectEnvelope(await t.app.inject({ method: 'DELETE', url: '/nowhere' }), 404, 'NOT_FOUND');
  });

  it.each([
    ['a task prompt', '/api/tasks', { agentId: 'echo-env', input: { prompt: 'x\u0000y' } }],
    [
      'a nested metadata value',
      '/api/tasks',
      { agentId: 'echo-env', input: { prompt: 'hi' }, metadata: { a: ['ok', 'b\u0000'] } },
    ],
    [
      'an object key',
      '/api/tasks',
      { agentId: 'echo-env', input: { prompt: 'hi' }, metadata: { 'k\u0000': 1 } },
    ],
  ])('refuses U+0000 in %s with 400 VALIDATION_ERROR, never 500', async (_what, url, payload) => {
    const res = await asUser({ method: 'POST', url, payload });
    expectEnvelope(res, 400, 'VALIDATION_ERROR');
    expect(res.json().error.message).toContain('U+0000');
  });

  it('refuses JSON nested deeper than jsonb takes with 400, never 500', async () => {
    const deep = `${'['.repeat(100)}"a"${']'.repeat(100)}`;
    const res = await asUser({
      method: 'POST',
      url: '/api/tasks',
      headers: { 'content-type': 'application/json' },
      payload: `{"agentId":"echo-env","input":{"prompt":"hi"},"metadata":{"x":${deep}}}`,
    });
    expectEnvelope(res, 400, 'VALIDATION_ERROR');
    expect(res.json().error.message).toContain('nested deeper');
  });

  it('refuses U+0000 in a query string or a path parameter with 400', async () => {
    expectEnvelope(await asUser('/api/agents?q=a%00b'), 400, 'VALIDATION_ERROR');
    expectEnvelope(await asUser('/api/agents/a%00b'), 400, 'VALIDATION_ERROR');
    expectEnvelope(await asUser('/api/tasks/task%00x'), 400, 'VALIDATION_ERROR');
  });

  it('puts security headers on every kind of refusal', async () => {
    const refusals: Array<[number, Res]> = [
      [401, await t.app.inject('/api/agents')],
      [
        403,
        await asViewer({
          method: 'POST',
          url: '/api/tasks',
          payload: { agentId: 'echo-env', input: { prompt: 'x' } },
        }),
      ],
      [404, await asUser('/api/tasks/task_missing')],
      [404, await t.app.inject('/no/such/route')],
      [
        413,
        await asUser({
          method: 'POST',
          url: '/api/tasks',
          payload: { agentId: 'echo-env', input: { prompt: 'x'.repeat(5000) } },
        }),
      ],
      [
        415,
        await asUser({
          method: 'POST',
          url: '/api/tasks',
          headers: { 'content-type': 'text/plain' },
          payload: 'hi',
        }),
      ],
    ];
    for (const [status, res] of refusals) {
      expect(res.statusCode, res.body).toBe(status);
      expectSecurityHeaders(res);
    }
    let limited: Res | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const res = await t.app.inject({ url: '/api/agents', remoteAddress: '10.77.0.1' });
      if (res.statusCode === 429) limited = res;
    }
    expect(limited?.statusCode).toBe(429);
    expectSecurityHeaders(limited as Res);
  });

  it('rate-limits unknown routes per IP with the shared limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) {
      statuses.push((await t.app.inject({ url: `/probe-${i}`, remoteAddress: '10.78.0.1' })).statusCode);
    }
    expect(statuses.slice(0, 30).every((s) => s === 404)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429]);
    // Another address is not affected.
    expect((await t.app.inject({ url: '/probe', remoteAddress: '10.78.0.2' })).statusCode).toBe(404);
  });
});
