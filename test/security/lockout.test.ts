/**
 * SPEC §10 "Lockout without a lock-out weapon": failures lock the (account, IP) pair that made
 * them; failures spread over many addresses slow the account down for unfamiliar addresses
 * (429 + Retry-After, bounded) instead of locking it; usernames compare case-insensitively.
 * In memory, and in Redis with the real PostgreSQL when they are configured.
 */

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createCaller, injectAs, TEST_PASSWORD, type TestCaller } from '../helpers/auth.js';
import { createTestDatabase, dbTargets, quietLogger, serverRedisUrl } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe.each(dbTargets)('login lockout on %s', (target) => {
  let t: TestSystem;
  let admin: TestCaller;
  beforeAll(async () => {
    const redis: Record<string, string> =
      target === 'pg' && serverRedisUrl ? { REDIS_URL: serverRedisUrl } : {};
    // The first slow-down delay is long enough that no attempt below races it on a loaded machine.
    t = await createTestSystem(
      target,
      { ...redis, BSM_LOGIN_RATE_LIMIT_PER_MINUTE: '0' },
      { security: { lockout: { baseDelayMs: 30_000 } } },
    );
    admin = await createCaller(t.system, 'admin', `Root-${target}`);
  });
  afterAll(() => t?.close());

  const login = (username: string, password: string, ip: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password },
      remoteAddress: ip,
    });

  it('five failures from one address lock only that address out; the admin gets in from another', async () => {
    const name = admin.user.username;
    // The attacker varies the case: it is one account, and one (account, address) pair.
    for (const [i, variant] of [
      name,
      name.toLowerCase(),
      name.toUpperCase(),
      name,
      name.toLowerCase(),
    ].entries()) {
      expect((await login(variant, `wrong-guess-${i}-xyz`, '10.5.0.1')).statusCode).toBe(401);
    }
    const locked = await login(name, TEST_PASSWORD, '10.5.0.1');
    expect(locked.statusCode).toBe(423);
    expect(locked.json().error.code).toBe('ACCOUNT_LOCKED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    expect((await login(name.toLowerCase(), TEST_PASSWORD, '10.5.0.1')).statusCode).toBe(423);
    // The real admin, from anywhere else, and in any case.
    const fromElsewhere = await login(name.toUpperCase(), TEST_PASSWORD, '10.5.0.2');
    expect(fromElsewhere.statusCode).toBe(200);
    expect(fromElsewhere.json().user.id).toBe(admin.user.id);
    const threats = await t.system.repos.securityThreats.list({ type: 'brute_force' });
    expect(threats.items[0]).toMatchObject({ ipAddress: '10.5.0.1', userId: admin.user.id });
  });

  it('failures spread over many addresses slow the account for new addresses, never for a familiar one', async () => {
    const victim = await createCaller(t.system, 'user');
    const name = victim.user.username;
    // The owner has logged in from home before.
    expect((await login(name, TEST_PASSWORD, '10.6.0.100')).statusCode).toBe(200);
    for (let i = 1; i <= 10; i++) {
      const res = await login(name, `guess-number-${i}-abc`, `10.6.1.${i}`);
      expect(res.statusCode).toBe(401);
    }
    const fromNew = await login(name, TEST_PASSWORD, '10.6.2.1');
    expect(fromNew.statusCode).toBe(429);
    expect(fromNew.json().error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(fromNew.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Not a lock: the owner's familiar address logs in at once.
    expect((await login(name, TEST_PASSWORD, '10.6.0.100')).statusCode).toBe(200);
  });

  it('treats usernames differing only in case as one user at creation', async () => {
    const as = injectAs(t.app, admin);
    const first = await as({
      method: 'POST',
      url: '/api/users',
      payload: {
        username: `Casey-${target}`,
        email: `casey-${target}@example.test`,
        password: TEST_PASSWORD,
      },
    });
    expect(first.statusCode).toBe(201);
    const second = await as({
      method: 'POST',
      url: '/api/users',
      payload: {
        username: `casey-${target}`.toUpperCase(),
        email: `casey2-${target}@example.test`,
        password: TEST_PASSWORD,
      },
    });
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('USER_EXISTS');
  });
});

describe.each(dbTargets)('migration 021 on existing users differing only by case (%s)', (target) => {
  it('keeps the oldest name and renames the later ones so the unique index can be built', async () => {
    const database = await createTestDatabase(target);
    try {
      await migrate(database.db, quietLogger);
      await database.db.query('DROP INDEX idx_users_username_lower');
      const insert = (name: string, at: string) =>
        database.db.query(
          `INSERT INTO users (username, email, password_hash, created_at) VALUES ($1, $2, 'x', $3) RETURNING id`,
          [name, `${name}@example.test`, at],
        );
      await insert('Bob', '2024-01-01');
      const later = (await insert('bob', '2024-02-01')).rows[0] as { id: string };
      await insert('alice', '2024-01-01');
      const sql = readFileSync(
        new URL('../../src/db/migrations/021_username_case_insensitive.sql', import.meta.url),
        'utf8',
      );
      await database.db.withAdvisoryLock(4242, (conn) => conn.exec(sql));
      const { rows } = await database.db.query<{ username: string }>(
        'SELECT username FROM users ORDER BY username',
      );
      expect(rows.map((r) => r.username)).toEqual(['Bob', 'alice', `bob-${later.id.slice(0, 8)}`]);
      await expect(insert('BOB', '2024-03-01')).rejects.toThrow();
    } finally {
      await database.drop();
    }
  }, 180_000);
});
