/**
 * Every permission of SPEC §6, and which role holds it: the one source of truth the route table
 * and the authorisation hook read. `admin` holds everything.
 */
import type { UserRole } from '../domain.js';

export const PERMISSIONS = [
  'agent:list',
  'agent:view',
  'agent:run',
  'agent:create',
  'agent:update',
  'agent:delete',
  'task:create',
  'task:view',
  'task:cancel',
  'execution:view',
  'model:list',
  'model:manage',
  'workflow:run',
  'workflow:view',
  'workflow:manage',
  'user:manage',
  'audit:view',
  'secret:manage',
  'security:view',
  'engine:view',
  'schedule:view',
  'schedule:manage',
  'usage:view',
  // SPEC §11: a user sees and decides approvals of their own tasks and runs; a viewer sees all.
  'approval:view',
  'approval:decide',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/** What a route requires: a permission, any signed-in caller, or nobody at all. */
export type RouteAccess = Permission | 'authenticated' | 'public';

const USER: readonly Permission[] = [
  'agent:list',
  'agent:view',
  'agent:run',
  'task:create',
  'task:view',
  'task:cancel',
  'execution:view',
  'model:list',
  'workflow:run',
  'workflow:view',
  // Their own schedules and usage only; the routes scope by owner (seesAllTasks).
  'schedule:view',
  'schedule:manage',
  'usage:view',
  'approval:view',
  'approval:decide',
];

const VIEWER: readonly Permission[] = [
  'agent:list',
  'agent:view',
  'task:view',
  'execution:view',
  'model:list',
  'workflow:view',
  'schedule:view',
  'usage:view',
  'approval:view',
];

export const ROLE_PERMISSIONS: Readonly<Record<UserRole, ReadonlySet<Permission>>> = {
  admin: new Set(PERMISSIONS),
  user: new Set(USER),
  viewer: new Set(VIEWER),
};

export function hasPermission(role: UserRole, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role]?.has(permission) ?? false;
}

/**
 * Roles that see every task rather than only their own: `user` holds `task:view` for its own tasks
 * only (SPEC §6), `viewer` and `admin` for all.
 */
export function seesAllTasks(role: UserRole): boolean {
  return role === 'admin' || role === 'viewer';
}
