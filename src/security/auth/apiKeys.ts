/**
 * API keys for machines: `bsm_` + 32 random bytes, shown once at creation and stored as a SHA-256
 * hash (the key has 256 bits of entropy, so a fast hash is enough — unlike passwords). Each key
 * acts with a role no higher than its owner's, and can be revoked.
 */
import { randomBytes } from 'node:crypto';
import type { User, UserRole } from '../../domain.js';
import { AppError, notFound, validation } from '../../errors.js';
import type { ApiKey, ApiKeyRepository } from '../../repositories/apiKeys.js';
import { ROLE_PERMISSIONS } from '../permissions.js';
import { sha256Hex } from './sessions.js';

export const API_KEY_PREFIX = 'bsm_';

/** Whether `role` holds no permission that `ceiling` lacks — derived from the RBAC table. */
export function roleWithin(role: UserRole, ceiling: UserRole): boolean {
  const allowed = ROLE_PERMISSIONS[ceiling];
  return [...ROLE_PERMISSIONS[role]].every((p) => allowed.has(p));
}

/** The role a key acts with now: its own, unless its owner has since been demoted below it. */
export function effectiveKeyRole(keyRole: UserRole, ownerRole: UserRole): UserRole {
  return roleWithin(keyRole, ownerRole) ? keyRole : ownerRole;
}

/** `last_used_at` is written at most this often per key (and node). */
export const TOUCH_INTERVAL_MS = 60_000;
const MAX_TOUCHED = 10_000;

export class ApiKeyService {
  private readonly touchedAt = new Map<string, number>();

  /** `ttlDays`: BSM_API_KEY_TTL_DAYS, the default and longest lifetime (0: keys may never expire). */
  constructor(
    private readonly repo: ApiKeyRepository,
    readonly ttlDays: number,
  ) {}

  async create(
    owner: User,
    input: { name: string; role?: UserRole; expiresInDays?: number },
  ): Promise<{ apiKey: ApiKey; key: string }> {
    const role = input.role ?? owner.role;
    if (!roleWithin(role, owner.role)) {
      throw new AppError(`A key cannot have role ${role}, above your own (${owner.role})`, 403, 'FORBIDDEN');
    }
    const { ttlDays } = this;
    if (ttlDays > 0 && input.expiresInDays !== undefined && input.expiresInDays > ttlDays) {
      throw validation(`expiresInDays must be at most ${ttlDays} (BSM_API_KEY_TTL_DAYS)`, {
        field: 'expiresInDays',
      });
    }
    const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const apiKey = await this.repo.create({
      userId: owner.id,
      name: input.name,
      prefix: key.slice(0, 12),
      keyHash: sha256Hex(key),
      role,
      expiresInDays: input.expiresInDays ?? (ttlDays > 0 ? ttlDays : undefined),
    });
    return { apiKey, key };
  }

  list(ownerId: string): Promise<ApiKey[]> {
    return this.repo.listForUser(ownerId);
  }

  async revoke(ownerId: string, id: string): Promise<void> {
    if (!(await this.repo.revoke(ownerId, id))) throw notFound('API key', 'API_KEY_NOT_FOUND');
  }

  /** Every live key of the user stops working; answers how many were revoked. */
  revokeAll(ownerId: string): Promise<number> {
    return this.repo.revokeAllForUser(ownerId);
  }

  /**
   * The live key with this value, if any; records its use at most once a minute per key and node
   * (SPEC §15: no database write per request), without making the request wait for it.
   */
  async find(value: string): Promise<ApiKey | undefined> {
    const found = await this.repo.findActiveByHash(sha256Hex(value));
    if (found) this.touchThrottled(found.id);
    return found;
  }

  private touchThrottled(id: string): void {
    const now = Date.now();
    if ((this.touchedAt.get(id) ?? 0) > now - TOUCH_INTERVAL_MS) return;
    if (this.touchedAt.size >= MAX_TOUCHED) this.touchedAt.clear();
    this.touchedAt.set(id, now);
    // last_used_at is informational: a failed write is retried on the next use.
    this.repo.touch(id).catch(() => this.touchedAt.delete(id));
  }
}
