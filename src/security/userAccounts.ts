/**
 * User accounts: creation under the password policy, changes that must end existing sessions
 * (password reset, deactivation), credential checks for login, and the first-admin bootstrap.
 */
import type { Config } from '../config.js';
import type { User, UserRole } from '../domain.js';
import { AppError, conflict, validation } from '../errors.js';
import type { UserRepository, UserRow } from '../repositories/users.js';
import type { ApiKeyService } from './auth/apiKeys.js';
import type { Authenticator } from './auth/authenticator.js';
import type { SessionStore } from './auth/sessions.js';
import {
  assertPasswordPolicy,
  dummyPasswordHash,
  generatePassword,
  hashPassword,
  verifyPassword,
} from './passwords.js';

export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]{2,99}$';
const USERNAME_RE = new RegExp(USERNAME_PATTERN);
const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]{1,190}$/;

export interface NewAccount {
  username: string;
  email: string;
  password: string;
  role?: UserRole;
}

export interface AccountPatch {
  email?: string;
  role?: UserRole;
  isActive?: boolean;
  password?: string;
  /** With `password`: the user's API keys keep working (by default a new password revokes them). */
  keepApiKeys?: boolean;
  /** Daily spending limit in USD; null removes it. */
  budgetUsdPerDay?: number | null;
}

export type AdminBootstrap =
  | { created: false }
  | { created: true; username: string; generatedPassword?: string };

export class UserAccounts {
  constructor(
    private readonly deps: {
      repo: UserRepository;
      sessions: SessionStore;
      apiKeys: ApiKeyService;
      authenticator: Authenticator;
    },
  ) {}

  async create(input: NewAccount): Promise<User> {
    if (!USERNAME_RE.test(input.username)) {
      throw validation('username must be 3-100 letters, digits, ".", "_", "@" or "-"', { field: 'username' });
    }
    if (!EMAIL_RE.test(input.email)) throw validation('email is not an email address', { field: 'email' });
    assertPasswordPolicy(input.password, input.username);
    return this.deps.repo.create({
      username: input.username,
      email: input.email,
      role: input.role ?? 'user',
      passwordHash: await hashPassword(input.password),
    });
  }

  /**
   * Applies a change. A new password or a deactivation ends every session of the user and
   * refuses every token issued before it; a new password also revokes the user's API keys unless
   * `keepApiKeys`. The last active admin cannot be demoted or deactivated.
   */
  async update(id: string, patch: AccountPatch): Promise<User> {
    const { repo, sessions, apiKeys, authenticator } = this.deps;
    const current = await repo.findRowById(id);
    const losesAdmin =
      current.role === 'admin' &&
      current.is_active &&
      ((patch.role !== undefined && patch.role !== 'admin') || patch.isActive === false);
    if (losesAdmin && (await repo.countActiveAdmins()) <= 1) {
      throw conflict('The last active admin cannot be demoted or deactivated', 'LAST_ADMIN');
    }
    if (patch.email !== undefined && !EMAIL_RE.test(patch.email)) {
      throw validation('email is not an email address', { field: 'email' });
    }
    let passwordHash: string | undefined;
    if (patch.password !== undefined) {
      assertPasswordPolicy(patch.password, current.username);
      passwordHash = await hashPassword(patch.password);
    }
    const user = await repo.update(id, {
      email: patch.email,
      role: patch.role,
      isActive: patch.isActive,
      passwordHash,
      // Any new password ends "still the generated one" (the compliance check reads the flag).
      ...(passwordHash !== undefined ? { mustChangePassword: false } : {}),
      budgetUsdPerDay: patch.budgetUsdPerDay,
    });
    if (passwordHash !== undefined || patch.isActive === false) {
      await repo.setTokenCutoff(id, Date.now());
      await sessions.revokeAllForUser(id, passwordHash ? 'password_change' : 'deactivated');
    }
    // A leaked password may have minted keys: they go with it unless the caller says otherwise.
    if (passwordHash !== undefined && patch.keepApiKeys !== true) await apiKeys.revokeAll(id);
    authenticator.invalidateUser(id);
    return user;
  }

  /**
   * The user when the credentials match an active account, else undefined. An unknown username
   * still costs one argon2 verification, so timing does not tell which part was wrong.
   */
  async verifyCredentials(username: string, password: string): Promise<UserRow | undefined> {
    const row = await this.deps.repo.findRowByUsername(username);
    if (!row) {
      await verifyPassword(await dummyPasswordHash(), password);
      return undefined;
    }
    const ok = await verifyPassword(row.password_hash, password);
    return ok && row.is_active ? row : undefined;
  }

  /**
   * Creates the first admin when there are no users at all, from BSM_ADMIN_* or with a generated
   * password that the caller prints once. Two nodes racing here: one wins, the other sees a
   * unique violation and leaves it be.
   */
  async bootstrapAdmin(admin: Config['admin']): Promise<AdminBootstrap> {
    if ((await this.deps.repo.count()) > 0) return { created: false };
    const generatedPassword = admin.password ? undefined : generatePassword();
    try {
      const user = await this.create({
        username: admin.username,
        email: admin.email,
        password: admin.password ?? (generatedPassword as string),
        role: 'admin',
      });
      // A generated password was printed to a terminal: it must be changed (compliance fails until then).
      if (generatedPassword) await this.deps.repo.update(user.id, { mustChangePassword: true });
    } catch (error) {
      if (error instanceof AppError && error.code === 'USER_EXISTS') return { created: false };
      if (error instanceof AppError) {
        throw new AppError(`BSM_ADMIN_*: ${error.message}`, error.statusCode, error.code, error.details);
      }
      throw error;
    }
    return { created: true, username: admin.username, generatedPassword };
  }
}
