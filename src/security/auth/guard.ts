/**
 * The guard every route passes before its handler: per-IP rate limit, authentication (401
 * UNAUTHENTICATED), per-user rate limit, then authorisation against the route's declared access
 * (403 FORBIDDEN, audited). It sets `request.user` and `request.principal`.
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { AuditService } from '../audit.js';
import { hasPermission } from '../permissions.js';
import type { RateLimiter, RateScope } from '../rateLimit.js';
import { type AccessCheck, requestContext } from '../requestContext.js';
import type { ThreatDetector } from '../threats/detector.js';
import { type Authenticator, locateCredential, type Principal } from './authenticator.js';
import { assertSameOrigin } from './csrf.js';
import { unauthenticated } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** How the caller authenticated (session or API key), when they did. */
    principal?: Principal;
  }
}

/** Probes and docs are not rate limited: a load balancer polling /health must never see 429. */
const UNLIMITED = /^\/(health|ready|docs|openapi\.json)(\/|$)/;

export interface GuardDeps {
  authenticator: Authenticator;
  rateLimiter: RateLimiter;
  threats: ThreatDetector;
  audit: AuditService;
  /** Origins besides our own whose pages may send cookie-authenticated changes (BSM_CORS_ORIGINS). */
  trustedOrigins?: readonly string[];
}

export function createGuard(deps: GuardDeps): AccessCheck {
  const limit = async (request: FastifyRequest, scope: RateScope, id: string) => {
    try {
      await deps.rateLimiter.consume(scope, id);
    } catch (error) {
      await deps.threats.rateAnomaly(request, scope);
      throw error;
    }
  };

  return async (request, access) => {
    if (!UNLIMITED.test(request.routeOptions.url ?? '')) await limit(request, 'ip', request.ip);
    if (access === 'public') return;
    const credential = locateCredential(request);
    if (!credential) throw unauthenticated();
    if (credential.from === 'cookie') assertSameOrigin(request, deps.trustedOrigins ?? []);
    const principal = await deps.authenticator.authenticate(credential.value);
    request.user = principal.user;
    request.principal = principal;
    await limit(request, 'user', principal.user.id);
    if (access === 'authenticated' || hasPermission(principal.user.role, access)) return;
    await deps.audit.record({
      ...requestContext(request),
      action: 'auth.forbidden',
      resourceType: 'route',
      resourceId: `${request.method} ${request.routeOptions.url}`.slice(0, 100),
      details: { permission: access, role: principal.user.role },
    });
    throw new AppError(`Requires permission ${access}`, 403, 'FORBIDDEN', { permission: access });
  };
}
