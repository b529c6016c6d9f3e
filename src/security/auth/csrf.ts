/**
 * Cross-site request forgery (SPEC §10). A browser attaches the `token` cookie to requests another
 * site makes it send, so a change authenticated by that cookie alone must prove it comes from a
 * page of ours: its `Origin` (or, without one, its `Referer`) must be the server's own origin or
 * one named in BSM_CORS_ORIGINS. Bearer-token and API-key callers are unaffected: no browser sends
 * those on another site's behalf.
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const csrfRejected = (reason: string) =>
  new AppError(
    'Cross-site request refused: send it from the console or with a bearer token',
    403,
    'CSRF_REJECTED',
    {
      reason,
    },
  );

/** `scheme://host[:port]` with default ports dropped and lower case, or undefined if not a URL. */
function originOf(value: string): string | undefined {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? undefined : origin.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * The origin the caller reached: its Host header, or with a trusted proxy X-Forwarded-Host and
 * -Proto (Fastify resolves both from its `trustProxy` setting, so a forged header is ignored).
 */
export function ownOrigin(request: FastifyRequest): string | undefined {
  return request.host ? originOf(`${request.protocol}://${request.host}`) : undefined;
}

/**
 * Throws 403 CSRF_REJECTED for a cookie-authenticated change from anywhere but our own origin or
 * a listed one. `*` in the list opens CORS to everyone, never this check: only named origins count.
 */
export function assertSameOrigin(request: FastifyRequest, trustedOrigins: readonly string[]): void {
  if (SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  const referer = request.headers.referer;
  const claimed = typeof origin === 'string' ? origin : typeof referer === 'string' ? referer : undefined;
  if (claimed === undefined) throw csrfRejected('no Origin or Referer');
  const from = originOf(claimed);
  if (!from) throw csrfRejected('unreadable origin');
  if (from === ownOrigin(request)) return;
  for (const listed of trustedOrigins) if (listed !== '*' && originOf(listed) === from) return;
  throw csrfRejected('foreign origin');
}
