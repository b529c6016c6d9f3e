import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { countTasksByStatus } from '../../src/repositories/taskCounts.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe.each(dbTargets)('GET /metrics on %s', (target) => {
  let t: TestSystem;
  const scrape = () =>
    t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer scrape-token-123' } });
  beforeAll(async () => {
    // A guard that refuses everyone: only the metrics token can get through.
    t = await createTestSystem(
      target,
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

  it('renders typed HTTP, event, queue and cache series for the metrics token', async () => {
    t.system.events.emit('task:completed', {});
    const res = await scrape();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('# TYPE bsm_events_total counter');
    expect(res.body).toMatch(/^bsm_events_total\{type="task:completed"\} 1$/m);
    expect(res.body).toMatch(/^bsm_agents\{status="active"\} 0$/m);
    expect(res.body).toContain('# TYPE bsm_queue_enqueue_to_start_seconds histogram');
    expect(res.body).toMatch(/^bsm_queue_tasks\{status="pending"\} 0$/m);
    expect(res.body).toContain('# TYPE bsm_cache_hits_total counter');
    expect(res.body).toContain('bsm_process_cpu_user_seconds_total');
    const again = await scrape();
    expect(again.body).toMatch(/bsm_http_requests_total\{method="GET",route="\/metrics",status="200"\} 1/);
  });

  it('has HELP and TYPE for every series and follows the naming rules', async () => {
    const body = (await scrape()).body;
    const typed = new Map<string, string>();
    for (const m of body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) typed.set(m[1], m[2]);
    const helped = new Set([...body.matchAll(/^# HELP (\S+) /gm)].map((m) => m[1]));
    const samples = body.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(samples.length).toBeGreaterThan(50);
    for (const line of samples) {
      const name = line.split(/[{ ]/)[0];
      const family = [...typed.keys()].find(
        (f) => name === f || /^_(bucket|sum|count)$/.test(name.slice(f.length)),
      );
      expect(family, `${name} has no TYPE`).toBeDefined();
      expect(helped.has(family as string), `${name} has no HELP`).toBe(true);
      expect(name).toMatch(/^bsm_[a-z0-9_]+$/);
    }
    for (const [name, type] of typed) {
      expect(name.endsWith('_total'), `${name} (${type})`).toBe(type === 'counter');
      expect(name).not.toMatch(/_ms(_|$)|latency_?ms/i);
    }
  });

  it('counts tasks with a bounded read: exact below the cap, never reading past it', async () => {
    const agent = await t.system.agents.create({
      agentId: 'metered',
      name: 'M',
      role: 'r',
      modelProvider: 'echo',
    });
    for (let i = 0; i < 5; i++) {
      await t.system.repos.tasks.create({ taskId: `m-${i}`, agentId: agent.id, input: { prompt: 'x' } });
    }
    expect((await countTasksByStatus(t.system.db)).pending).toBe(5);
    // Past the cap the answer is "more than the cap" (or the planner's larger estimate).
    expect((await countTasksByStatus(t.system.db, 3)).pending).toBeGreaterThanOrEqual(4);
    expect((await scrape()).body).toMatch(/^bsm_queue_tasks\{status="pending"\} 5$/m);
  });

  it('runs no count over the tasks or audit tables when scraped', async () => {
    const seen: string[] = [];
    const db = t.system.db;
    const original = db.query.bind(db);
    db.query = ((sql: string, params?: unknown[]) => {
      seen.push(sql);
      return original(sql, params);
    }) as typeof db.query;
    try {
      expect((await scrape()).statusCode).toBe(200);
    } finally {
      db.query = original;
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const sql of seen) {
      expect(sql).not.toMatch(/audit_logs/);
      // The only read of tasks is the capped one (LIMIT inside the count).
      if (/\btasks\b/.test(sql))
        expect(sql).toMatch(
          /count\(\*\) FROM \(SELECT 1 FROM tasks t WHERE t\.status = s\.status LIMIT \$1\)/,
        );
    }
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

describe('metric registry conventions', () => {
  it('refuses names promtool would flag when a component registers them', () => {
    const m = new MetricsRegistry();
    expect(() => m.counter({ name: 'bsm_things', help: 'x' })).toThrow(/_total/);
    expect(() => m.gauge({ name: 'bsm_things_total', help: 'x' })).toThrow(/_total/);
    expect(() => m.gauge({ name: 'bsm_cacheHits', help: 'x' })).toThrow(/snake_case/);
    expect(() => m.histogram({ name: 'bsm_latency_ms', help: 'x' })).toThrow(/seconds/);
    expect(() => m.counter({ name: 'bsm_things_total', help: 'x' })).not.toThrow();
  });
});
