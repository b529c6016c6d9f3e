/**
 * The compliance report (SPEC §6): what an operator must fix before this deployment is safe.
 * Each check is small, reads configuration or the database, never a secret's value, and reports
 * pass/fail with advice. A check that cannot run fails (and says why) instead of passing quietly.
 */
import argon2 from 'argon2';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { AuditService } from './audit.js';
import type { CryptoService } from './crypto.js';
import { ENCRYPTED_COLUMNS } from './keyRotation.js';
import { isWeakJwtSecret, type ResolvedSecrets } from './localSecrets.js';
import type { Vault } from './vault/index.js';

export type CheckStatus = 'pass' | 'fail';

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a failure. */
  advice?: string;
}

export interface ComplianceReport {
  ok: boolean;
  passed: number;
  failed: number;
  checks: CheckResult[];
}

/** Controls other parts of the security hub own; they report whether they are in force. */
export type ControlId = 'password-policy' | 'rate-limiting';
export type ControlProbe = () => { enabled: boolean; detail: string };

export interface ComplianceDeps {
  config: Config;
  secrets: ResolvedSecrets;
  db: Db;
  audit: AuditService;
  crypto: CryptoService;
  vault: Vault;
}

/**
 * Passwords people leave in place. The password policy (12+ characters) refuses all of them, so
 * they only catch hashes written around the application (imported users, SQL); the first-admin
 * case the policy cannot see is the `must_change_password` flag.
 */
export const DEFAULT_PASSWORDS = [
  'admin',
  'password',
  'changeme',
  'admin123',
  'administrator',
  'secret',
  'password123',
  '12345678',
  'letmein',
];

/** A stored password hash we recognise: argon2 (PHC string) or bcrypt. */
const PASSWORD_HASH_RE = /^(\$argon2(id|i|d)\$|\$2[aby]\$\d{2}\$)/;

type Outcome = Omit<CheckResult, 'id' | 'title'>;
const pass = (detail: string): Outcome => ({ status: 'pass', detail });
const fail = (detail: string, advice: string): Outcome => ({ status: 'fail', detail, advice });

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export class ComplianceChecker {
  private readonly controls = new Map<ControlId, ControlProbe>();

  constructor(private readonly deps: ComplianceDeps) {}

  /** Called by the component that enforces the control (the auth and rate-limit code). */
  registerControl(id: ControlId, probe: ControlProbe): void {
    this.controls.set(id, probe);
  }

  async run(): Promise<ComplianceReport> {
    const checks: Array<[string, string, () => Promise<Outcome> | Outcome]> = [
      ['jwt-secret', 'JWT secret is strong and set explicitly', () => this.jwtSecret()],
      ['encryption-key', 'Encryption key is set explicitly', () => this.encryptionKey()],
      ['admin-password', 'No active admin keeps a default or bootstrap password', () => this.adminPassword()],
      ['signup-closed', 'Public sign-up is closed', () => this.signup()],
      ['audit-chain', 'Audit hash chain is intact', () => this.auditChain()],
      ['transport', 'TLS and proxy settings are sensible', () => this.transport()],
      ['password-policy', 'Password policy is enforced', () => this.control('password-policy')],
      ['rate-limiting', 'Rate limiting is on', () => this.control('rate-limiting')],
      ['secrets-encrypted', 'Stored secrets are encrypted with a known key', () => this.secretsEncrypted()],
      ['password-hashes', 'Every user has a password hash', () => this.passwordHashes()],
      ['cors', 'CORS is off or limited to named origins', () => this.cors()],
      ['node-env', 'NODE_ENV is production', () => this.nodeEnv()],
    ];
    const results: CheckResult[] = [];
    for (const [id, title, run] of checks) {
      let outcome: Outcome;
      try {
        outcome = await run();
      } catch (error) {
        outcome = fail(
          `The check could not run: ${(error as Error).message}`,
          'Fix the error above and re-run.',
        );
      }
      results.push({ id, title, ...outcome });
    }
    const failed = results.filter((r) => r.status === 'fail').length;
    return { ok: failed === 0, passed: results.length - failed, failed, checks: results };
  }

  private jwtSecret(): Outcome {
    const { secrets } = this.deps;
    if (secrets.generated.jwtSecret) {
      return fail(
        'JWT_SECRET is generated and kept in BSM_DATA_DIR',
        'Set JWT_SECRET to at least 32 random bytes, e.g. `openssl rand -base64 48`, kept in your secret store.',
      );
    }
    if (isWeakJwtSecret(secrets.jwtSecret)) {
      return fail(
        'JWT_SECRET is shorter than 32 bytes or a placeholder',
        'Replace it with `openssl rand -base64 48`.',
      );
    }
    return pass('JWT_SECRET is set and strong');
  }

  private encryptionKey(): Outcome {
    if (this.deps.secrets.generated.encryptionKey) {
      return fail(
        'ENCRYPTION_KEY is generated and kept beside the data in BSM_DATA_DIR',
        'Set ENCRYPTION_KEY (`openssl rand -hex 32`) from a secret store, list the old key in ENCRYPTION_KEYS, then run `bsm keys rotate`.',
      );
    }
    return pass(`ENCRYPTION_KEY is set (key id ${this.deps.crypto.currentKeyId})`);
  }

  private async adminPassword(): Promise<Outcome> {
    const { db, config } = this.deps;
    // `must_change_password` (migration 026) is set on a first admin created with a generated
    // password and cleared by any password change.
    const { rows } = await db.query<{ username: string; password_hash: string | null; flagged: boolean }>(
      `SELECT username, password_hash, must_change_password AS flagged
         FROM users WHERE role = 'admin' AND is_active IS NOT FALSE`,
    );
    const offenders: string[] = [];
    for (const admin of rows) {
      if (admin.flagged) offenders.push(`${admin.username} (generated first password never changed)`);
      else if (await verifiesAgainstDefault(admin.password_hash, [...DEFAULT_PASSWORDS, admin.username])) {
        offenders.push(`${admin.username} (default password)`);
      }
    }
    if (config.admin.password && DEFAULT_PASSWORDS.includes(config.admin.password.toLowerCase())) {
      offenders.push('BSM_ADMIN_PASSWORD is a default password');
    }
    if (offenders.length) {
      return fail(
        `Admins at risk: ${offenders.join(', ')}`,
        'Sign in as each listed admin and change the password: PATCH /api/users/:id {"password":"…"} (12+ characters, not a common one).',
      );
    }
    return pass(`${rows.length} active admin(s), none with a default or bootstrap password`);
  }

  private signup(): Outcome {
    return this.deps.config.allowSignup
      ? fail(
          'BSM_ALLOW_SIGNUP=true: anyone can create an account',
          'Set BSM_ALLOW_SIGNUP=false unless open sign-up is intended.',
        )
      : pass('POST /api/auth/register is closed');
  }

  private async auditChain(): Promise<Outcome> {
    const result = await this.deps.audit.verify();
    return result.ok
      ? pass(`${result.checked} audit row(s) verified`)
      : fail(
          `Chain broken at row ${result.firstBrokenId} (${result.reason})`,
          'The audit log was altered outside the application. Investigate from that row (see docs/SECURITY-DATA.md).',
        );
  }

  private transport(): Outcome {
    const { host, trustProxy } = this.deps.config;
    if (LOOPBACK.has(host)) {
      return pass(`Listening on ${host} only: reachable through a local reverse proxy`);
    }
    if (trustProxy) {
      return pass(`Listening on ${host} behind a reverse proxy (BSM_TRUST_PROXY=true) that terminates TLS`);
    }
    return fail(
      `Listening on ${host} with plain HTTP and no trusted proxy`,
      'Put a TLS-terminating reverse proxy in front, set BSM_TRUST_PROXY=true, and firewall the port; or bind HOST=127.0.0.1.',
    );
  }

  private control(id: ControlId): Outcome {
    const probe = this.controls.get(id);
    if (!probe) {
      return fail(
        `${id} is not installed in this process`,
        'Run the full security hub (bsm serve) on every API node.',
      );
    }
    const { enabled, detail } = probe();
    return enabled ? pass(detail) : fail(detail, `Turn ${id} back on.`);
  }

  private async secretsEncrypted(): Promise<Outcome> {
    const { db, crypto, vault } = this.deps;
    const problems: string[] = [];
    let total = 0;
    let stale = 0;
    for (const c of ENCRYPTED_COLUMNS) {
      const { rows } = await db.query<{ value: string | null }>(
        `SELECT ${c.column} AS value FROM ${c.table}`,
      );
      for (const { value } of rows) {
        if (value === null) continue;
        total += 1;
        if (!crypto.canDecrypt(value)) problems.push(`${c.table}.${c.column}`);
        else if (crypto.keyIdOf(value) !== crypto.currentKeyId) stale += 1;
      }
    }
    if (problems.length) {
      return fail(
        `${problems.length} value(s) are not ciphertexts under a known key`,
        'Add the missing key to ENCRYPTION_KEYS, then run `bsm keys rotate`; re-enter any value stored in plaintext.',
      );
    }
    if (stale) {
      return fail(`${stale} value(s) still under an older key`, 'Run `bsm keys rotate`.');
    }
    const where = vault.kind === 'hashicorp' ? 'vault values live in HashiCorp Vault; ' : '';
    return pass(`${where}${total} stored ciphertext(s), all under key ${crypto.currentKeyId}`);
  }

  private async passwordHashes(): Promise<Outcome> {
    const { rows } = await this.deps.db.query<{ password_hash: string | null }>(
      'SELECT password_hash FROM users',
    );
    const bad = rows.filter((r) => !r.password_hash || !PASSWORD_HASH_RE.test(r.password_hash)).length;
    return bad
      ? fail(
          `${bad} user(s) have no password hash (empty or not argon2/bcrypt)`,
          'Reset those users’ passwords.',
        )
      : pass(`${rows.length} user(s), all with an argon2/bcrypt hash`);
  }

  private cors(): Outcome {
    const origins = this.deps.config.corsOrigins;
    if (origins.includes('*')) {
      return fail('BSM_CORS_ORIGINS allows every origin', 'List the dashboard origins explicitly.');
    }
    return pass(origins.length ? `CORS limited to ${origins.join(', ')}` : 'CORS is off');
  }

  private nodeEnv(): Outcome {
    return this.deps.config.production
      ? pass('NODE_ENV=production')
      : fail(
          `NODE_ENV=${this.deps.config.nodeEnv}`,
          'Set NODE_ENV=production: start-up then refuses missing or weak secrets.',
        );
  }
}

async function verifiesAgainstDefault(hash: string | null, candidates: string[]): Promise<boolean> {
  if (!hash?.startsWith('$argon2')) return false;
  for (const candidate of candidates) {
    if (await argon2.verify(hash, candidate).catch(() => false)) return true;
  }
  return false;
}
