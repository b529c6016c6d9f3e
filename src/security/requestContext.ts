import type { FastifyRequest } from 'fastify';
import type { RouteAccess } from './permissions.js';

/**
 * Who made a request and from where, for audit rows written inside the security layer (which
 * must not import the API layer's helpers).
 */
export function requestContext(request: FastifyRequest) {
  return {
    userId: request.user?.id ?? null,
    ipAddress: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
  };
}

/** Same shape as the API's `Guard`: checks a request against its route's access, or throws. */
export type AccessCheck = (request: FastifyRequest, access: RouteAccess) => Promise<void>;
