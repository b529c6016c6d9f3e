import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe('GET /metrics', () => {
  let t: TestSystem;
  beforeAll(async () => {
    // A guard that refuses everyone: only the metrics token can get through.
    t = await createTestSystem(
      'pglite',
      { METRICS_TOKEN: 'scrape-token-123' },
      {
        app: {
          guard: async () => {
            throw new AppError('Authentication required', 401, 'UNAUTHENTICATED');
          },
        },
      },
    );
  });
  afterAll(() => t.close());

  it('renders HTTP, event and agent numbers as Prometheus text for the metrics token', async () => {
    t.system.events.emit('task:completed', {});
    const res = await t.app.inject({
      url: '/metrics',
      headers: { authorization: 'Bearer scrape-token-123' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/bsm_events_counts\{key="task:completed"\} 1/);
    expect(res.body).toMatch(/bsm_agents_total 0/);
    expect(res.body).toMatch(/bsm_security_rateLimiting_perMinute \d+/);
    expect(res.body).toMatch(/bsm_queue_/);
    expect(res.body).toMatch(/bsm_cache_/);
    expect(res.body).toContain('bsm_process_cpu_user_seconds_total');
    const again = await t.app.inject({
      url: '/metrics',
      headers: { authorization: 'Bearer scrape-token-123' },
    });
    expect(again.body).toMatch(/bsm_http_requests_total\{method="GET",route="\/metrics",status="200"\} 1/);
  });

  it('falls back to the guard for any other credential', async () => {
    const wrong = await t.app.inject({
      url: '/metrics',
      headers: { authorization: 'Bearer scrape-token-12' },
    });
    expect(wrong.statusCode).toBe(401);
    expect((await t.app.inject('/metrics')).statusCode).toBe(401);
  });
});
