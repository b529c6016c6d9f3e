import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult, ComplianceReport } from '../../src/security/compliance.js';
import { CryptoService } from '../../src/security/crypto.js';
import { dbTargets } from '../helpers/db.js';
import { createTestSystem, type TestSystem } from '../helpers/system.js';

const byId = (report: ComplianceReport) =>
  new Map(report.checks.map((c) => [c.id, c] as [string, CheckResult]));
const failing = (report: ComplianceReport) =>
  report.checks.filter((c) => c.status === 'fail').map((c) => c.id);

/** What a properly configured production node sets (the secrets are fresh random values). */
const productionEnv = () => ({
  NODE_ENV: 'production',
  JWT_SECRET: randomBytes(48).toString('base64url'),
  ENCRYPTION_KEY: randomBytes(32).toString('hex'),
  BSM_ADMIN_PASSWORD: `Adm1n-${randomBytes(12).toString('base64url')}`,
  HOST: '0.0.0.0',
  BSM_TRUST_PROXY: 'true',
  BSM_CORS_ORIGINS: 'https://dash.example.com',
});

describe.each(dbTargets)('compliance report on %s', (target) => {
  describe('on a default embedded start', () => {
    let t: TestSystem;
    beforeAll(async () => {
      t = await createTestSystem(target);
    });
    afterAll(() => t.close());

    it('lists what an operator must fix, each failure with advice', async () => {
      const res = await t.inject('/api/security/compliance');
      expect(res.statusCode).toBe(200);
      const report = res.json() as ComplianceReport;
      expect(report.ok).toBe(false);
      expect(failing(report)).toEqual(['jwt-secret', 'encryption-key', 'node-env']);
      for (const check of report.checks.filter((c) => c.status === 'fail')) expect(check.advice).toBeTruthy();
      expect(report.passed + report.failed).toBe(report.checks.length);
    });

    it('fails each check when its condition breaks', async () => {
      const { db } = t.system;
      await db.query(
        `INSERT INTO users (username, email, password_hash, role) VALUES ('root', 'r@x', $1, 'admin')`,
        [await argon2.hash('changeme')],
      );
      await db.query(`INSERT INTO users (username, email, password_hash) VALUES ('plain', 'p@x', 'hunter2')`);
      await db.query(`INSERT INTO secrets (name, ciphertext) VALUES ('orphan', $1)`, [
        new CryptoService(randomBytes(32).toString('hex')).encrypt('x', 'secret:orphan'),
      ]);
      await t.system.audit.append({ action: 'a.b', resourceType: 'x' });
      await db.query(`UPDATE audit_logs SET action = 'a.c'`);
      const checks = byId(await t.system.compliance.run());
      expect(checks.get('admin-password')).toMatchObject({ status: 'fail' });
      expect(checks.get('admin-password')?.detail).toContain('root (default password)');
      expect(checks.get('password-hashes')).toMatchObject({ status: 'fail' });
      expect(checks.get('secrets-encrypted')).toMatchObject({ status: 'fail' });
      expect(checks.get('audit-chain')).toMatchObject({ status: 'fail' });
      expect(JSON.stringify([...checks.values()])).not.toContain('hunter2');
    });
  });

  it('fails open sign-up, an exposed plain-HTTP listener and a wildcard CORS origin', async () => {
    const t = await createTestSystem(target, {
      BSM_ALLOW_SIGNUP: 'true',
      HOST: '0.0.0.0',
      BSM_CORS_ORIGINS: '*',
    });
    try {
      const checks = byId(await t.system.compliance.run());
      expect(checks.get('signup-closed')?.status).toBe('fail');
      expect(checks.get('transport')?.status).toBe('fail');
      expect(checks.get('cors')?.status).toBe('fail');
    } finally {
      await t.close();
    }
  });

  it('is all-pass on a properly configured production start', async () => {
    const env = productionEnv();
    const t = await createTestSystem(target, env);
    try {
      // The first admin as the user code bootstraps it (from BSM_ADMIN_PASSWORD, argon2id).
      await t.system.repos.users.create({
        username: 'admin',
        email: 'admin@example.com',
        passwordHash: await argon2.hash(env.BSM_ADMIN_PASSWORD, { type: argon2.argon2id }),
        role: 'admin',
      });
      await t.system.vault.put('openai', 'sk-live-abc');
      await t.system.audit.append({ action: 'secret.create', resourceType: 'secret', resourceId: 'openai' });
      // The password policy and the rate limiter register themselves when the System is built.
      const res = await t.inject('/api/security/compliance');
      const report = res.json() as ComplianceReport;
      expect(failing(report)).toEqual([]);
      expect(report).toMatchObject({ ok: true, failed: 0, passed: 12 });
    } finally {
      await t.close();
    }
  });
});
