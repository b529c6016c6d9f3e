/**
 * "Admin password not the generated one" is a real check (issue #9 item 18): the first admin
 * created with a generated password is flagged, the compliance report fails while the flag is
 * set, and a password change clears it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComplianceReport } from '../../src/security/compliance.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

const adminCheck = (report: ComplianceReport) => report.checks.find((c) => c.id === 'admin-password');

describe.each(dbTargets)('the generated first admin password on %s', (target) => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await createTestSystem(target, { BSM_ADMIN_USERNAME: 'boss' });
  });
  afterAll(() => t.close());

  it('fails the compliance check until the admin changes the generated password, then passes', async () => {
    const made = await t.system.security.accounts.bootstrapAdmin(t.system.config.admin);
    if (!made.created) throw new Error('no admin bootstrapped');
    const generated = made.generatedPassword as string;
    expect(generated.length).toBeGreaterThanOrEqual(12);

    const login = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'boss', password: generated },
    });
    expect(login.statusCode).toBe(200);
    const { token, user } = login.json();
    const as = { authorization: `Bearer ${token}` };
    const before = (await t.app.inject({ url: '/api/security/compliance', headers: as })).json();
    expect(adminCheck(before)).toMatchObject({ status: 'fail' });
    expect(adminCheck(before)?.detail).toContain('boss (generated first password never changed)');
    expect(adminCheck(before)?.advice).toContain('PATCH /api/users/:id');

    const changed = await t.app.inject({
      method: 'PATCH',
      url: `/api/users/${user.id}`,
      headers: as,
      payload: { password: 'a-New-admin-passphrase-7' },
    });
    expect(changed.statusCode).toBe(200);
    const relogin = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'boss', password: 'a-New-admin-passphrase-7' },
    });
    const after = (
      await t.app.inject({
        url: '/api/security/compliance',
        headers: { authorization: `Bearer ${relogin.json().token}` },
      })
    ).json();
    expect(adminCheck(after)).toMatchObject({ status: 'pass' });
  });

  it('does not flag a first admin whose password the operator chose (BSM_ADMIN_PASSWORD)', {
    timeout: 60_000,
  }, async () => {
    const chosen = await createTestSystem(target, { BSM_ADMIN_PASSWORD: 'operator-Chosen-pass-42' });
    try {
      const made = await chosen.system.security.accounts.bootstrapAdmin(chosen.system.config.admin);
      expect(made).toMatchObject({ created: true, generatedPassword: undefined });
      expect(adminCheck(await chosen.system.compliance.run())).toMatchObject({ status: 'pass' });
    } finally {
      await chosen.close();
    }
  });
});
