/**
 * SPEC §10 "Proxies": BSM_TRUST_PROXY is false, a hop count, or a list of proxy addresses/CIDRs
 * (`true` is one hop), and the client IP that rate limits, lockouts and audit use never comes from
 * a header the client wrote. Each login below carries a fresh forged X-Forwarded-For entry in
 * front of what the proxy appended; none of them escapes the login limit.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { dbTargets, serverRedisUrl } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe('BSM_TRUST_PROXY parsing', () => {
  it.each([
    [undefined, false],
    ['false', false],
    ['0', false],
    ['true', 1],
    ['1', 1],
    ['2', 2],
    ['10.0.0.0/8, 192.168.1.7', ['10.0.0.0/8', '192.168.1.7']],
    ['loopback,fd00::/8', ['loopback', 'fd00::/8']],
  ])('reads %s as %j', (raw, expected) => {
    expect(loadConfig(raw === undefined ? {} : { BSM_TRUST_PROXY: raw }).trustProxy).toEqual(expected);
  });

  it.each(['maybe', '10.0.0.0/33', '10.0.0.1,not-an-ip', '1.2.3.4/8/9', '-1'])(
    'stops on %s with one line naming the variable',
    (raw) => {
      let error: unknown;
      try {
        loadConfig({ BSM_TRUST_PROXY: raw });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^BSM_TRUST_PROXY: [^\n]+$/);
    },
  );
});

const PROXY = '10.0.0.5';
/** Each case builds its own system (migrations) and pays three argon2 checks: slow on a loaded machine. */
const SLOW = 180_000;
const CLIENT = '203.0.113.7';

describe.each(dbTargets)('client address behind a proxy on %s', (target) => {
  const systems: TestSystem[] = [];
  afterAll(async () => {
    for (const s of systems) await s.close();
  });

  async function system(trust: string): Promise<TestSystem> {
    const redis: Record<string, string> =
      target === 'pg' && serverRedisUrl ? { REDIS_URL: serverRedisUrl } : {};
    const s = await createTestSystem(target, {
      ...redis,
      BSM_TRUST_PROXY: trust,
      BSM_LOGIN_RATE_LIMIT_PER_MINUTE: '3',
    });
    systems.push(s);
    return s;
  }

  /** A login through the proxy at PROXY, whose client forged `forged` into X-Forwarded-For. */
  const viaProxy = (s: TestSystem, forged: string, from = PROXY) =>
    s.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: from,
      headers: { 'x-forwarded-for': `${forged}, ${CLIENT}` },
      payload: { username: 'nobody-here', password: 'wrong-password-123' },
    });

  async function statuses(s: TestSystem, from = PROXY): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < 5; i++) out.push((await viaProxy(s, `198.51.100.${i + 1}`, from)).statusCode);
    return out;
  }

  it.each(['1', 'true', '10.0.0.0/8'])(
    'with BSM_TRUST_PROXY=%s rotating X-Forwarded-For does not evade the login limit',
    async (trust) => {
      const s = await system(trust);
      expect(await statuses(s)).toEqual([401, 401, 401, 429, 429]);
      // The audit names the address the proxy saw, not the forged one.
      const failed = await s.system.repos.auditLogs.list({ action: 'auth.login_failed' });
      expect(failed.items.map((a) => a.ipAddress)).toEqual([CLIENT, CLIENT, CLIENT]);
    },
    SLOW,
  );

  it(
    'with BSM_TRUST_PROXY=false the header is ignored: the socket address counts',
    async () => {
      const s = await system('false');
      expect(await statuses(s)).toEqual([401, 401, 401, 429, 429]);
      const failed = await s.system.repos.auditLogs.list({ action: 'auth.login_failed' });
      expect(new Set(failed.items.map((a) => a.ipAddress))).toEqual(new Set([PROXY]));
    },
    SLOW,
  );

  it(
    'with an address list, a client that bypasses the proxy cannot name its own address',
    async () => {
      const s = await system('10.0.0.0/8');
      expect(await statuses(s, '192.0.2.99')).toEqual([401, 401, 401, 429, 429]);
      const failed = await s.system.repos.auditLogs.list({ action: 'auth.login_failed' });
      expect(new Set(failed.items.map((a) => a.ipAddress))).toEqual(new Set(['192.0.2.99']));
    },
    SLOW,
  );
});
