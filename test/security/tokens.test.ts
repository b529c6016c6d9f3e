import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../src/security/auth/tokens.js';
import { createCaller, injectAs, TEST_PASSWORD, type TestCaller } from '../helpers/auth.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.each(dbTargets)('access and refresh tokens on %s', (target) => {
  let t: TestSystem;
  let admin: TestCaller;
  beforeAll(async () => {
    t = await createTestSystem(target);
    admin = await createCaller(t.system, 'admin');
  });
  afterAll(() => t.close());

  const me = (token: string) =>
    t.app.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
  const login = (username: string, password = TEST_PASSWORD) =>
    t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  const refresh = (refreshToken: string) =>
    t.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } });

  /** Re-signs a real token's claims with some changes (same key unless told otherwise). */
  async function forge(
    from: string,
    change: Record<string, unknown>,
    opts: { key?: string; issuer?: string; audience?: string; exp?: number } = {},
  ): Promise<string> {
    const claims = { ...decodeJwt(from), ...change };
    delete claims.iss;
    delete claims.aud;
    delete claims.exp;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(opts.issuer ?? TOKEN_ISSUER)
      .setAudience(opts.audience ?? TOKEN_AUDIENCE)
      .setExpirationTime(opts.exp ?? Math.floor(Date.now() / 1000) + 600)
      .sign(new TextEncoder().encode(opts.key ?? t.system.secrets.jwtSecret));
  }

  it('accepts a valid token from the Authorization header, x-auth-token and the token cookie', async () => {
    const { user, token } = await createCaller(t.system, 'user');
    expect((await me(token)).json()).toMatchObject({ id: user.id, role: 'user' });
    const viaHeader = await t.app.inject({ url: '/api/auth/me', headers: { 'x-auth-token': token } });
    expect(viaHeader.json().id).toBe(user.id);
    const viaCookie = await t.app.inject({ url: '/api/auth/me', cookies: { token } });
    expect(viaCookie.json().id).toBe(user.id);
  });

  it('checks that the forgery helper itself yields accepted tokens (so the refusals below mean something)', async () => {
    expect((await me(await forge(admin.token, {}))).statusCode).toBe(200);
  });

  it('refuses alg:none, a wrong key, wrong issuer, wrong audience, expired and tampered tokens with 401', async () => {
    const claims = decodeJwt(admin.token);
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    const [h, , s] = admin.token.split('.');
    const tampered = `${h}.${b64({ ...claims, role: 'admin', sub: claims.sub, extra: 1 })}.${s}`;
    const bad = {
      'alg none': unsigned,
      'wrong key': await forge(admin.token, {}, { key: 'another-secret-that-is-long-enough-0123456789' }),
      'wrong issuer': await forge(admin.token, {}, { issuer: 'someone-else' }),
      'wrong audience': await forge(admin.token, {}, { audience: 'other-api' }),
      expired: await forge(admin.token, {}, { exp: Math.floor(Date.now() / 1000) - 10 }),
      tampered,
      garbage: 'a.b.c',
    };
    for (const [what, token] of Object.entries(bad)) {
      const res = await me(token);
      expect(res.statusCode, what).toBe(401);
      expect(res.json().error.code, what).toBe('UNAUTHENTICATED');
    }
  });

  it('logs in with the same 401 INVALID_CREDENTIALS for an unknown user and a wrong password', async () => {
    const caller = await createCaller(t.system, 'user');
    const unknown = await login('nobody-at-all', 'whatever-password-1');
    const wrong = await login(caller.user.username, 'wrong-password-123');
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
    expect(wrong.json().error.code).toBe('INVALID_CREDENTIALS');
    const ok = await login(caller.user.username);
    expect(ok.statusCode).toBe(200);
    const body = ok.json();
    expect(body).toMatchObject({ expiresIn: 900, user: { id: caller.user.id } });
    expect(body.user.passwordHash).toBeUndefined();
    expect(decodeJwt(body.token)).toMatchObject({ iss: 'bsm-agentos', aud: 'bsm-api', sub: caller.user.id });
    expect(typeof decodeJwt(body.token).jti).toBe('string');
    const audit = await t.system.repos.auditLogs.list({ userId: caller.user.id });
    expect(audit.items.map((a) => a.action)).toEqual(
      expect.arrayContaining(['auth.login', 'auth.login_failed']),
    );
  });

  it('revokes the access token and the refresh family at logout', async () => {
    const { token, refreshToken } = await createCaller(t.system, 'user');
    const out = await t.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(out.statusCode).toBe(204);
    expect((await me(token)).statusCode).toBe(401);
    expect((await refresh(refreshToken)).json().error.code).toBe('INVALID_REFRESH_TOKEN');
  });

  it('refuses the tokens of a deactivated user, and those issued before a password change', async () => {
    const as = injectAs(t.app, admin);
    const gone = await createCaller(t.system, 'user');
    expect((await as({ method: 'DELETE', url: `/api/users/${gone.user.id}` })).statusCode).toBe(204);
    expect((await me(gone.token)).statusCode).toBe(401);
    expect((await refresh(gone.refreshToken)).statusCode).toBe(401);
    expect((await login(gone.user.username)).statusCode).toBe(401);

    const changed = await createCaller(t.system, 'user');
    const reset = await as({
      method: 'PATCH',
      url: `/api/users/${changed.user.id}`,
      payload: { password: 'a-brand-new-passphrase-7' },
    });
    expect(reset.statusCode).toBe(200);
    expect((await me(changed.token)).statusCode).toBe(401);
    expect((await refresh(changed.refreshToken)).statusCode).toBe(401);
    expect((await login(changed.user.username)).statusCode).toBe(401);
    const fresh = await login(changed.user.username, 'a-brand-new-passphrase-7');
    expect(fresh.statusCode).toBe(200);
    expect((await me(fresh.json().token)).statusCode).toBe(200);
  });

  it('rotates refresh tokens, and reuse of a rotated one revokes the whole family', async () => {
    const caller = await createCaller(t.system, 'user');
    const first = await refresh(caller.refreshToken);
    expect(first.statusCode).toBe(200);
    const pair = first.json();
    expect(pair.refreshToken).not.toBe(caller.refreshToken);
    expect((await me(pair.token)).statusCode).toBe(200);
    const second = await refresh(pair.refreshToken);
    expect(second.statusCode).toBe(200);
    // The thief replays the first refresh token: everything in the family dies.
    const replay = await refresh(caller.refreshToken);
    expect(replay.statusCode).toBe(401);
    expect((await refresh(second.json().refreshToken)).statusCode).toBe(401);
    expect((await me(second.json().token)).statusCode).toBe(401);
    expect((await me(caller.token)).statusCode).toBe(401);
    const audit = await t.system.repos.auditLogs.list({
      action: 'auth.refresh_reuse',
      userId: caller.user.id,
    });
    expect(audit.total).toBe(1);
    // Another session of the same user is untouched.
    const other = await login(caller.user.username);
    expect((await me(other.json().token)).statusCode).toBe(200);
  });

  it('refuses an unknown refresh token and an unknown field', async () => {
    expect((await refresh('bsmr_made-up')).json().error.code).toBe('INVALID_REFRESH_TOKEN');
    const extra = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refreshToken: 'x', role: 'admin' },
    });
    expect(extra.statusCode).toBe(400);
  });
});
