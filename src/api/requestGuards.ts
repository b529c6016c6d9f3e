/**
 * What every request passes whatever its route: U+0000 refused in any string it carries (PostgreSQL
 * text cannot hold it, so it used to surface as a 500), the router's own refusals (a bad URL, an
 * over-long path parameter) answered in the error envelope, and the baseline security headers on
 * every answer — refusals included.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { validation } from '../errors.js';
import { errorBody } from './errorHandler.js';

/** The dotted path of the first string (or key) holding U+0000, if any. */
export function findNul(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  // JSON.parse nests at most as deep as the body limit allows; the walk is linear in the body.
  if (depth > 1000 || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = findNul(value[i], `${path}.${i}`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    if (key.includes('\u0000')) return path;
    const found = findNul(v, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** preValidation hook: a U+0000 in the body, query or path parameters is a 400. */
export async function refuseNulCharacters(request: FastifyRequest): Promise<void> {
  const field =
    findNul(request.params, 'params') ?? findNul(request.query, 'query') ?? findNul(request.body, 'body');
  if (field) throw validation(`${field} contains the character U+0000, which is not allowed`, { field });
}

/**
 * Headers every answer carries even where no hook ran (helmet adds the full set on routed
 * requests). JSON answers are never framed or sniffed, and load nothing.
 */
export const BASELINE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'no-referrer',
};
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
  for (const [name, value] of Object.entries(BASELINE_SECURITY_HEADERS)) reply.header(name, value);
  reply
    .header('content-security-policy', API_CONTENT_SECURITY_POLICY)
    .header('cache-control', 'no-store')
    .header('x-request-id', request.id);
  return reply.status(400).send(errorBody('VALIDATION_ERROR', message, { reason: error.code }));
}
