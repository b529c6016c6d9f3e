/**
 * Passwords, access tokens, refresh tokens and API keys never land in plaintext in the database,
 * the logs or Redis: a whole session's worth of them is collected and then grepped for.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { serverRedisUrl } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

describe.each(serverRedisUrl ? ['memory', 'redis'] : ['memory'])(
  'no plaintext secrets (%s store)',
  (store) => {
    const prefix = `bsm_test_${randomBytes(4).toString('hex')}:`;
    const logLines: string[] = [];
    const logStream = new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    const secrets: Record<string, string> = {};
    let t: TestSystem;

    beforeAll(async () => {
      t = await createTestSystem(
        'pglite',
        store === 'redis' ? { REDIS_URL: serverRedisUrl as string, BSM_REDIS_PREFIX: prefix } : {},
        { logger: createLogger('trace', logStream) },
      );
      secrets.adminPassword = 'admin-Passphrase-for-grep-1';
      await t.system.security.accounts.create({
        username: 'root-admin',
        email: 'root@example.test',
        password: secrets.adminPassword,
        role: 'admin',
      });
      const login = async (username: string, password: string) =>
        (
          await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } })
        ).json();
      const session = await login('root-admin', secrets.adminPassword);
      secrets.accessToken = session.token;
      secrets.refreshToken = session.refreshToken;
      const auth = { authorization: `Bearer ${session.token}` };

      secrets.userPassword = 'user-Passphrase-for-grep-2';
      const user = (
        await t.app.inject({
          method: 'POST',
          url: '/api/users',
          headers: auth,
          payload: { username: 'someone', email: 's@example.test', password: secrets.userPassword },
        })
      ).json();
      secrets.resetPassword = 'reset-Passphrase-for-grep-3';
      await t.app.inject({
        method: 'PATCH',
        url: `/api/users/${user.id}`,
        headers: { 'x-auth-token': session.token },
        payload: { password: secrets.resetPassword },
      });
      // A failed login with a password typed into the username box.
      secrets.typedAsUsername = 'oops-Passphrase-in-username-4';
      await login(secrets.typedAsUsername, 'whatever-else-here-5');
      await login('someone', 'wrong-Passphrase-for-grep-6');
      secrets.wrongPassword = 'wrong-Passphrase-for-grep-6';

      const rotated = (
        await t.app.inject({
          method: 'POST',
          url: '/api/auth/refresh',
          payload: { refreshToken: session.refreshToken },
        })
      ).json();
      secrets.rotatedRefreshToken = rotated.refreshToken;
      secrets.rotatedAccessToken = rotated.token;
      const key = (
        await t.app.inject({
          method: 'POST',
          url: '/api/auth/api-keys',
          headers: { authorization: `Bearer ${rotated.token}` },
          payload: { name: 'ci' },
        })
      ).json();
      secrets.apiKey = key.key;
      await t.app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${key.key}` } });
      await t.app.inject({
        method: 'POST',
        url: '/api/auth/logout',
        headers: { authorization: `Bearer ${rotated.token}` },
      });
    });
    afterAll(async () => {
      await t.close();
      if (store === 'redis') {
        const client = createClient({ url: serverRedisUrl });
        await client.connect();
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*` }))
          if (keys.length) await client.del(keys);
        await client.quit();
      }
    });

    const leaks = (haystack: string) =>
      Object.entries(secrets)
        .filter(([, v]) => haystack.includes(v))
        .map(([k]) => k);

    it('collected every kind of secret it meant to', () => {
      expect(Object.keys(secrets)).toHaveLength(10);
      for (const value of Object.values(secrets)) expect(value.length).toBeGreaterThan(10);
    });

    it('keeps them out of every table of the database (only argon2id and SHA-256 hashes)', async () => {
      const { rows: tables } = await t.system.db.query<{ tablename: string }>(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
      );
      let dump = '';
      for (const { tablename } of tables) {
        const { rows } = await t.system.db.query(`SELECT * FROM "${tablename}"`);
        dump += JSON.stringify(rows);
      }
      expect(dump).toContain('root-admin');
      expect(leaks(dump)).toEqual([]);
      const { rows } = await t.system.db.query<{ password_hash: string }>('SELECT password_hash FROM users');
      for (const r of rows) expect(r.password_hash).toMatch(/^\$argon2id\$/);
    });

    it('keeps them out of the logs, at trace level', () => {
      const logs = logLines.join('');
      expect(logs).toContain('/api/auth/login');
      expect(leaks(logs)).toEqual([]);
    });

    it.runIf(store === 'redis')('keeps them out of Redis', async () => {
      const client = createClient({ url: serverRedisUrl });
      await client.connect();
      let dump = '';
      try {
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) {
          for (const key of keys) {
            dump += key;
            const type = await client.type(key);
            if (type === 'zset') dump += JSON.stringify(await client.zRange(key, 0, -1));
            else if (type === 'string') dump += await client.get(key);
          }
        }
      } finally {
        await client.quit();
      }
      expect(dump).toContain(':sec:');
      expect(leaks(dump)).toEqual([]);
    });
  },
);
