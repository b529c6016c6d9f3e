import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '../helpers/auth.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

/** SPEC §15 "Cached read": what the per-request authentication may and may not cost. */
describe.each(dbTargets)('per-request authentication on %s', (target) => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await createTestSystem(target);
  });
  afterAll(() => t.close());

  it('records an API key use at most once a minute, not on every request', async () => {
    const owner = await createCaller(t.system, 'user');
    const { apiKey, key } = await t.system.security.apiKeys.create(owner.user, { name: 'ci' });
    const writes: string[] = [];
    const touch = t.system.repos.apiKeys.touch.bind(t.system.repos.apiKeys);
    t.system.repos.apiKeys.touch = async (id: string) => {
      writes.push(id);
      return touch(id);
    };
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({ url: '/api/agents', headers: { authorization: `Bearer ${key}` } });
      expect(res.statusCode).toBe(200);
    }
    expect(writes).toEqual([apiKey.id]);
    await new Promise((r) => setTimeout(r, 100)); // the write does not hold up the request
    const { rows } = await t.system.db.query<{ last_used_at: Date | null }>(
      'SELECT last_used_at FROM api_keys WHERE id = $1',
      [apiKey.id],
    );
    expect(rows[0].last_used_at).toBeInstanceOf(Date);
  });

  it('still refuses a remembered token once its session is revoked or it is tampered with', async () => {
    const caller = await createCaller(t.system, 'user');
    const get = (authorization: string) => t.app.inject({ url: '/api/agents', headers: { authorization } });
    expect((await get(caller.headers.authorization)).statusCode).toBe(200);
    expect((await get(caller.headers.authorization)).statusCode).toBe(200); // from the verified cache
    const [h, p, s] = caller.token.split('.');
    const flipped = `${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await get(`Bearer ${h}.${p}.${flipped}`)).statusCode).toBe(401);
    const logout = await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: caller.headers });
    expect(logout.statusCode).toBeLessThan(300);
    expect((await get(caller.headers.authorization)).statusCode).toBe(401);
  });
});
