/**
 * The signed-in user. Login asks the server for the HttpOnly `token` cookie; the refresh token
 * stays in this page's memory only (never in storage) and renews the cookie before it expires.
 * After a reload the cookie carries on until it expires; then the login page shows again.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { hasPermission, type Permission } from '../../src/security/permissions';
import { api, type User } from './api';

interface LoginAnswer {
  refreshToken: string;
  expiresIn: number;
  user: User;
}

let refreshTimer: ReturnType<typeof setTimeout> | undefined;

function scheduleRefresh(answer: LoginAnswer) {
  clearTimeout(refreshTimer);
  const inMs = Math.max(10, answer.expiresIn * 0.8) * 1000;
  refreshTimer = setTimeout(async () => {
    try {
      scheduleRefresh(
        await api<LoginAnswer>('POST', '/api/auth/refresh', {
          refreshToken: answer.refreshToken,
          cookie: true,
        }),
      );
    } catch {
      // The session ended (revoked, expired): the next request answers 401 and shows the login.
    }
  }, inMs);
}

export async function login(username: string, password: string): Promise<User> {
  const answer = await api<LoginAnswer>('POST', '/api/auth/login', { username, password, cookie: true });
  scheduleRefresh(answer);
  return answer.user;
}

export async function logout(): Promise<void> {
  clearTimeout(refreshTimer);
  await api('POST', '/api/auth/logout').catch(() => undefined);
}

export const SessionContext = createContext<User | null>(null);

export function useUser(): User {
  const user = useContext(SessionContext);
  if (!user) throw new Error('useUser outside a session');
  return user;
}

/** Whether the signed-in user's role holds `permission` (the server's own table, bundled). */
export function useCan(): (permission: Permission) => boolean {
  const user = useUser();
  return (permission) => hasPermission(user.role, permission);
}
