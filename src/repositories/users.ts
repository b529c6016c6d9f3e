import type { Queryable } from '../db/index.js';
import type { Page, PageRequest, User, UserRole } from '../domain.js';
import { conflict, notFound, translateDbError } from '../errors.js';
import { buildAssignments, type ColumnSpec, isUuid, selectPage, Where } from './sql.js';

export interface UserRow {
  id: string;
  username: string;
  email: string;
  password_hash: string;
  role: UserRole;
  is_active: boolean;
  /** Set on a first admin with a generated password, cleared by any password change. */
  must_change_password: boolean;
  budget_usd_per_day: number | null;
  last_login: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** The public shape: the password hash never leaves the repository through this mapping. */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    role: row.role,
    isActive: row.is_active,
    budgetUsdPerDay: row.budget_usd_per_day,
    lastLogin: row.last_login,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
  role?: UserRole;
}

export interface UserPatch {
  email?: string;
  role?: UserRole;
  isActive?: boolean;
  passwordHash?: string;
  mustChangePassword?: boolean;
  budgetUsdPerDay?: number | null;
}

const PATCHABLE: Readonly<Record<keyof UserPatch, ColumnSpec>> = {
  email: { column: 'email' },
  role: { column: 'role' },
  isActive: { column: 'is_active' },
  passwordHash: { column: 'password_hash' },
  mustChangePassword: { column: 'must_change_password' },
  budgetUsdPerDay: { column: 'budget_usd_per_day' },
};

const userNotFound = () => notFound('User', 'USER_NOT_FOUND');
const userExists = () => conflict('A user with that username or email already exists', 'USER_EXISTS');

export class UserRepository {
  constructor(private readonly db: Queryable) {}

  async create(data: NewUser): Promise<User> {
    try {
      const { rows } = await this.db.query<UserRow>(
        `INSERT INTO users (username, email, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING *`,
        [data.username, data.email, data.passwordHash, data.role ?? 'user'],
      );
      return toUser(rows[0]);
    } catch (error) {
      translateDbError(error, userExists);
    }
  }

  async findById(id: string): Promise<User> {
    return toUser(await this.findRowById(id));
  }

  /** With the password hash: for the authentication code only. */
  async findRowById(id: string): Promise<UserRow> {
    if (!isUuid(id)) throw userNotFound();
    const { rows } = await this.db.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
    if (!rows[0]) throw userNotFound();
    return rows[0];
  }

  /**
   * With the password hash; undefined when absent (login must not reveal which case it was).
   * Case-insensitive, as every username comparison (the unique index on lower(username) serves it).
   */
  async findRowByUsername(username: string): Promise<UserRow | undefined> {
    const { rows } = await this.db.query<UserRow>('SELECT * FROM users WHERE lower(username) = lower($1)', [
      username,
    ]);
    return rows[0];
  }

  list(filters: { role?: UserRole; isActive?: boolean } & PageRequest = {}): Promise<Page<User>> {
    const where = new Where().add('role = ?', filters.role).add('is_active = ?', filters.isActive);
    return selectPage(this.db, 'users', where, 'created_at ASC, id', filters, toUser);
  }

  async update(id: string, patch: UserPatch): Promise<User> {
    if (!isUuid(id)) throw userNotFound();
    const { assignments, values } = buildAssignments(PATCHABLE, patch as Record<string, unknown>, 2);
    assignments.push('updated_at = CURRENT_TIMESTAMP');
    try {
      const { rows } = await this.db.query<UserRow>(
        `UPDATE users SET ${assignments.join(', ')} WHERE id = $1 RETURNING *`,
        [id, ...values],
      );
      if (!rows[0]) throw userNotFound();
      return toUser(rows[0]);
    } catch (error) {
      translateDbError(error, userExists);
    }
  }

  async recordLogin(id: string): Promise<void> {
    await this.db.query('UPDATE users SET last_login = CURRENT_TIMESTAMP WHERE id = $1', [id]);
  }

  /**
   * The user with the instant before which their tokens are refused (null: none) — the
   * per-request authentication check reads this.
   */
  async findAuthState(id: string): Promise<{ row: UserRow; tokensValidAfter: Date | null } | undefined> {
    if (!isUuid(id)) return undefined;
    const { rows } = await this.db.query<UserRow & { tokens_valid_after: Date | null }>(
      `SELECT u.*, c.tokens_valid_after FROM users u
       LEFT JOIN user_token_cutoffs c ON c.user_id = u.id WHERE u.id = $1`,
      [id],
    );
    if (!rows[0]) return undefined;
    const { tokens_valid_after, ...row } = rows[0];
    return { row, tokensValidAfter: tokens_valid_after };
  }

  /**
   * Refuses every token issued before `atMs` (the application clock, which also stamps tokens).
   * Stored as UTC, as every TIMESTAMP column here.
   */
  async setTokenCutoff(id: string, atMs: number): Promise<void> {
    await this.db.query(
      `INSERT INTO user_token_cutoffs (user_id, tokens_valid_after)
       VALUES ($1, to_timestamp($2::double precision / 1000) AT TIME ZONE 'UTC')
       ON CONFLICT (user_id) DO UPDATE SET tokens_valid_after = EXCLUDED.tokens_valid_after`,
      [id, atMs],
    );
  }

  async countActiveAdmins(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND is_active`,
    );
    return rows[0]?.n ?? 0;
  }

  async count(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    return rows[0]?.n ?? 0;
  }
}
