/**
 * What every request passes whatever its route: U+0000 refused in any string it carries (PostgreSQL
 * text cannot hold it, so it used to surface as a 500) and JSON nested past what jsonb takes, the router's own refusals (a bad URL, an
 * over-long path parameter) answered in the error envelope, and the baseline security headers on
 * every answer — refusals included.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { validation } from '../errors.js';
import { errorBody } from './errorHandler.js';
import { SECURITY_HEADERS } from './securityHeaders.js';

/**
 * How deep a request's JSON may nest. PostgreSQL refuses deeper jsonb ("stack depth limit
 * exceeded", a 500 before this check) and no API field needs more than a few levels.
 */
export const MAX_JSON_DEPTH = 64;

type Problem = { field: string; reason: 'nul' | 'depth' };

/** The first string (or key) holding U+0000, or the first value nested too deep — if any. */
export function findProblem(value: unknown, path: string, depth = 0): Problem | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? { field: path, reason: 'nul' } : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_JSON_DEPTH) return { field: path, reason: 'depth' };
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value);
  for (const [key, v] of entries) {
    if (key.includes('\u0000')) return { field: path, reason: 'nul' };
    const found = findProblem(v, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * preValidation hook: a U+0000 in the body, query or path parameters, or a body nested deeper than
 * MAX_JSON_DEPTH, is a 400. The walk is linear in the parsed request.
 */
export async function refuseNulCharacters(request: FastifyRequest): Promise<void> {
  const problem =
    findProblem(request.params, 'params') ??
    findProblem(request.query, 'query') ??
    findProblem(request.body, 'body');
  if (!problem) return;
  const { field } = problem;
  throw problem.reason === 'nul'
    ? validation(`${field} contains the character U+0000, which is not allowed`, { field })
    : validation(`${field} is nested deeper than ${MAX_JSON_DEPTH} levels`, { field });
}

export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

/**
 * Fastify's `frameworkErrors`: the router refused the URL before any route (or hook) ran — a
 * malformed percent-encoding, or a path parameter over `maxParamLength`. Both are the caller's
 * fault: 400 VALIDATION_ERROR in the envelope.
 */
export function routerError(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply) {
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'A path parameter is too long'
      : 'The URL is malformed (bad percent-encoding)';
  // No hook ran: the security headers go on here, the same set as every routed answer's.
  reply
    .headers(SECURITY_HEADERS)
    .header('content-security-policy', API_CONTENT_SECURITY_POLICY)
    .header('cache-control', 'no-store')
    .header('x-request-id', request.id);
  return reply.status(400).send(errorBody('VALIDATION_ERROR', message, { reason: error.code }));
}
