import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { adminInject, type Inject } from '../helpers/auth.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe('HTTP hardening', () => {
  let t: TestSystem;
  let app: FastifyInstance;
  let inject: Inject;
  beforeAll(async () => {
    t = await createTestSystem('pglite', { BSM_BODY_LIMIT_BYTES: '1024' });
    app = await buildApp(t.system, {
      plugins: [
        {
          prefix: '/api/test',
          plugin: async (p) => {
            p.get('/boom', { config: { access: 'public' } }, async () => {
              throw new Error('boom: connection to postgres://admin:pw@db failed');
            });
          },
        },
      ],
    });
    await app.ready();
    inject = adminInject(t.system, app);
  });
  afterAll(async () => {
    await app.close();
    await t.close();
  });

  it('sends security headers and no X-Powered-By', async () => {
    const res = await inject('/api/secrets');
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cache-control': 'no-store',
    });
    expect(res.headers['strict-transport-security']).toContain('max-age=');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('answers 413 PAYLOAD_TOO_LARGE in the envelope for a body over the limit, storing nothing', async () => {
    const res = await inject({
      method: 'PUT',
      url: '/api/secrets/big',
      payload: { value: 'x'.repeat(2048) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await t.system.db.query('SELECT 1 FROM secrets')).rowCount).toBe(0);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])(
    'answers 415 UNSUPPORTED_MEDIA_TYPE for %s',
    async (type) => {
      const res = await inject({
        method: 'PUT',
        url: '/api/secrets/x',
        headers: { 'content-type': type },
        payload: 'value=1',
      });
      expect(res.statusCode).toBe(415);
      expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    },
  );

  it('answers malformed JSON with 400 and a short message', async () => {
    const res = await inject({
      method: 'PUT',
      url: '/api/secrets/x',
      headers: { 'content-type': 'application/json' },
      payload: '{"value": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'VALIDATION_ERROR', message: 'Body is not valid JSON' } });
  });

  it('never sends a stack trace or an internal message to the client', async () => {
    const res = await inject('/api/test/boom');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } });
    expect(res.body).not.toMatch(/boom|postgres|at .*\.ts|stack/);
  });

  it('keeps CORS off by default: no Access-Control headers and no preflight route', async () => {
    const res = await inject({ url: '/health', headers: { origin: 'https://evil.example' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await inject({
      method: 'OPTIONS',
      url: '/api/secrets',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.statusCode).toBe(404);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS with BSM_CORS_ORIGINS', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await createTestSystem('pglite', { BSM_CORS_ORIGINS: 'https://dash.example.com' });
  });
  afterAll(() => t.close());

  it('allows only the configured origins, with credentials', async () => {
    const ok = await t.inject({ url: '/health', headers: { origin: 'https://dash.example.com' } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://dash.example.com');
    expect(ok.headers['access-control-allow-credentials']).toBe('true');
    const other = await t.inject({ url: '/health', headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await t.inject({
      method: 'OPTIONS',
      url: '/api/secrets',
      headers: { origin: 'https://dash.example.com', 'access-control-request-method': 'PUT' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toContain('PUT');
  });
});
