/**
 * Signed-in callers for API tests: a user of a given role with a session minted directly by the
 * security hub (no HTTP login, so tests neither pay for argon2 twice nor trip the login limit).
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { User, UserRole } from '../../src/domain.js';
import type { System } from '../../src/system.js';

export const TEST_PASSWORD = 'correct-Horse-battery-9';

export interface TestCaller {
  user: User;
  token: string;
  refreshToken: string;
  headers: { authorization: string };
}

let counter = 0;

export async function createCaller(system: System, role: UserRole, username?: string): Promise<TestCaller> {
  counter += 1;
  const name = username ?? `${role}-${process.pid}-${counter}`;
  const user = await system.security.accounts.create({
    username: name,
    email: `${name}@example.test`,
    password: TEST_PASSWORD,
    role,
  });
  const session = await system.security.auth.startSession(user);
  return {
    user,
    token: session.token,
    refreshToken: session.refreshToken,
    headers: { authorization: `Bearer ${session.token}` },
  };
}

export type Inject = (opts: string | InjectOptions) => Promise<LightMyRequestResponse>;

/** `app.inject` with the caller's credentials added to every request. */
export function injectAs(app: FastifyInstance, caller: { headers: Record<string, string> }): Inject {
  return (opts) => {
    const o: InjectOptions = typeof opts === 'string' ? { url: opts } : opts;
    return app.inject({ ...o, headers: { ...caller.headers, ...(o.headers ?? {}) } });
  };
}

/**
 * `app.inject` signed in as an admin created on first use: for tests about something other than
 * access control (which `test/security/routeAccess.test.ts` covers route by route).
 */
export function adminInject(system: System, app: FastifyInstance): Inject {
  let caller: Promise<TestCaller> | undefined;
  return async (opts) => {
    caller ??= createCaller(system, 'admin');
    return injectAs(app, await caller)(opts);
  };
}
