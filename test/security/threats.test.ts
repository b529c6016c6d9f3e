/**
 * Lockouts, credential stuffing, injection flags and rate limits — in memory, and in Redis when
 * REDIS_URL is set (the windows then live under a test-only key prefix, removed afterwards).
 */
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../src/core/events.js';
import { createCaller, type Inject, injectAs, TEST_PASSWORD, type TestCaller } from '../helpers/auth.js';
import { serverRedisUrl } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

type Store = 'memory' | 'redis';
const stores: Store[] = serverRedisUrl ? ['memory', 'redis'] : ['memory'];

function storeEnv(store: Store, prefix: string): Record<string, string> {
  return store === 'redis' ? { REDIS_URL: serverRedisUrl as string, BSM_REDIS_PREFIX: prefix } : {};
}

async function dropRedisPrefix(prefix: string): Promise<void> {
  const client = createClient({ url: serverRedisUrl });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length) await client.del(keys);
  }
  await client.quit();
}

describe.each(stores)('threat detection with the %s store', (store) => {
  const prefix = `bsm_test_${randomBytes(4).toString('hex')}:`;
  let t: TestSystem;
  let admin: TestCaller;
  let as: Inject;
  const events: BusEvent[] = [];
  beforeAll(async () => {
    t = await createTestSystem('pglite', {
      ...storeEnv(store, prefix),
      BSM_LOGIN_RATE_LIMIT_PER_MINUTE: '0',
    });
    admin = await createCaller(t.system, 'admin');
    as = injectAs(t.app, admin);
    t.system.events.subscribe((e) => events.push(e), ['security:threat']);
  });
  afterAll(async () => {
    await t.close();
    if (store === 'redis') await dropRedisPrefix(prefix);
  });

  const login = (username: string, password: string, ip: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password },
      remoteAddress: ip,
    });

  it('reports its backend in /api/security/status', async () => {
    const status = (await as('/api/security/status')).json();
    expect(status.rateLimiting).toMatchObject({ backend: store, enabled: true, perMinute: 600 });
    expect(status.lockout).toMatchObject({ accountFailures: 5, ipFailures: 20 });
  });

  it('locks an (account, IP) pair after 5 bad passwords (423 with Retry-After), even for the right password', async () => {
    const victim = await createCaller(t.system, 'user');
    for (let i = 0; i < 5; i++) {
      expect((await login(victim.user.username, `wrong-guess-${i}-xyz`, '10.1.0.1')).statusCode).toBe(401);
    }
    const locked = await login(victim.user.username, TEST_PASSWORD, '10.1.0.1');
    expect(locked.statusCode).toBe(423);
    expect(locked.json().error.code).toBe('ACCOUNT_LOCKED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    const threats = (await as('/api/security/threats?type=brute_force')).json();
    expect(threats.items[0]).toMatchObject({
      username: victim.user.username,
      userId: victim.user.id,
      severity: 'high',
    });
    expect(events.some((e) => e.payload.type === 'brute_force')).toBe(true);
    const audit = await t.system.repos.auditLogs.list({ action: 'security.threat' });
    expect(audit.items.some((a) => a.details.type === 'brute_force')).toBe(true);
    // The owner from another address, and another account, log in fine.
    expect((await login(victim.user.username, TEST_PASSWORD, '10.1.0.2')).statusCode).toBe(200);
    const other = await createCaller(t.system, 'user');
    expect((await login(other.user.username, TEST_PASSWORD, '10.1.0.1')).statusCode).toBe(200);
  });

  it('locks an IP after 20 failed logins across accounts (429 with Retry-After); other IPs are unaffected', async () => {
    const names: string[] = [];
    for (let i = 0; i < 4; i++) names.push((await createCaller(t.system, 'user')).user.username);
    for (const name of names) {
      for (let i = 0; i < 5; i++) await login(name, `bad-password-${i}-abc`, '10.2.0.9');
    }
    const fresh = await createCaller(t.system, 'user');
    const fromBadIp = await login(fresh.user.username, TEST_PASSWORD, '10.2.0.9');
    expect(fromBadIp.statusCode).toBe(429);
    expect(fromBadIp.json().error.code).toBe('RATE_LIMITED');
    expect(Number(fromBadIp.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login(fresh.user.username, TEST_PASSWORD, '10.2.0.10')).statusCode).toBe(200);
    const threats = (await as('/api/security/threats?type=brute_force&ip=10.2.0.9')).json();
    expect(threats.items.some((x: { details: { target?: string } }) => x.details.target === 'ip')).toBe(true);
  });

  it('locks an IP that fails with 10 distinct usernames (credential stuffing)', async () => {
    for (let i = 0; i < 10; i++) await login(`stuffed-${i}`, 'Summer-2024-leaked', '10.3.0.3');
    expect((await login('stuffed-x', 'whatever-else-1', '10.3.0.3')).statusCode).toBe(429);
    const threats = (await as('/api/security/threats?type=credential_stuffing')).json();
    expect(threats.items[0]).toMatchObject({ ipAddress: '10.3.0.3', details: { distinctUsernames: 10 } });
  });

  it('flags SQL and script injection in queries and bodies without blocking the request', async () => {
    const q = encodeURIComponent("legal' UNION SELECT password_hash FROM users --");
    expect((await as(`/api/agents?q=${q}`)).statusCode).toBe(200);
    const created = await as({
      method: 'POST',
      url: '/api/agents',
      payload: {
        agentId: 'xss-test',
        name: 'X',
        role: 'r',
        modelProvider: 'echo',
        description: '<script>x()</script>',
      },
    });
    expect(created.statusCode).toBe(201);
    const sql = (await as('/api/security/threats?type=sql_injection')).json();
    expect(sql.items[0]).toMatchObject({
      userId: admin.user.id,
      details: { fields: ['query.q'], route: '/api/agents' },
    });
    const script = (await as('/api/security/threats?type=script_injection')).json();
    expect(script.items[0].details.fields).toEqual(['body.description']);
    // The same probe again within a minute is not recorded twice.
    await as(`/api/agents?q=${q}`);
    expect((await as('/api/security/threats?type=sql_injection')).json().total).toBe(1);
  });
});

describe('prompt-injection reports', () => {
  it('records a flagged task input as a threat, an audit row and an event', async () => {
    const t = await createTestSystem('pglite');
    try {
      const seen: BusEvent[] = [];
      t.system.events.subscribe((e) => seen.push(e), ['security:threat']);
      const saved = await t.system.security.threats.promptInjection({
        taskId: 'task-1',
        agentId: 'helper',
        userId: null,
        patterns: ['ignore-instructions'],
        blocked: true,
      });
      expect(saved).toMatchObject({
        type: 'prompt_injection',
        severity: 'high',
        details: { taskId: 'task-1' },
      });
      expect(seen[0].payload).toMatchObject({ type: 'prompt_injection' });
      const audit = await t.system.repos.auditLogs.list({ action: 'security.threat' });
      expect(audit.items[0].details).toMatchObject({ type: 'prompt_injection', blocked: true });
    } finally {
      await t.close();
    }
  });
});

describe.each(stores)('rate limits with the %s store', (store) => {
  const prefix = `bsm_test_${randomBytes(4).toString('hex')}:`;
  let t: TestSystem;
  beforeAll(async () => {
    t = await createTestSystem('pglite', {
      ...storeEnv(store, prefix),
      BSM_RATE_LIMIT_PER_MINUTE: '5',
      BSM_LOGIN_RATE_LIMIT_PER_MINUTE: '2',
    });
  });
  afterAll(async () => {
    await t.close();
    if (store === 'redis') await dropRedisPrefix(prefix);
  });

  it('answers 429 RATE_LIMITED with Retry-After once an IP passes its limit, and records the anomaly', async () => {
    const ip = '10.9.0.1';
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await t.app.inject({ url: '/api/agents', remoteAddress: ip })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const limited = await t.app.inject({ url: '/api/agents', remoteAddress: ip });
    expect(limited.json()).toMatchObject({
      error: { code: 'RATE_LIMITED', details: { retryAfterSeconds: expect.any(Number) } },
    });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another address still gets through, and probes are never limited.
    expect((await t.app.inject({ url: '/api/agents', remoteAddress: '10.9.0.2' })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/health', remoteAddress: ip })).statusCode).toBe(200);
    const anomalies = await t.system.repos.securityThreats.list({ type: 'rate_anomaly' });
    expect(anomalies.items[0]).toMatchObject({ ipAddress: ip, details: { scope: 'ip' } });
  });

  it('limits each user separately from their IP', async () => {
    const caller = await createCaller(t.system, 'viewer');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await t.app.inject({
        url: '/api/agents',
        headers: caller.headers,
        remoteAddress: `10.8.0.${i + 1}`,
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('gives login its own stricter limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'nobody-here', password: 'does-not-matter-1' },
        remoteAddress: '10.7.0.1',
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });
});
