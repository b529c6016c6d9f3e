import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isDatabaseUnavailable } from '../errors.js';
import { describeValidationError } from './validation.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Fastify's own client errors, mapped to our codes (the message is Fastify's, which is safe). */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION_ERROR',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_ERROR',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VALIDATION_ERROR',
};

/**
 * Every error leaves as the SPEC §7 envelope. AppErrors and Fastify's client errors show their
 * message; anything else is a bug: logged in full, answered with a generic 500 and no stack.
 */
export function handleError(
  error: FastifyError | AppError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  if (error instanceof AppError) {
    if (error.statusCode >= 500) request.log.error({ err: error }, error.message);
    // Lockouts and rate limits tell the client when to come back (RFC 9110 §10.2.3).
    const retryAfter = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    return reply.status(error.statusCode).send(errorBody(error.code, error.message, error.details));
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const { message, field } = describeValidationError(
      fastifyError.validation as Parameters<typeof describeValidationError>[0],
      fastifyError.validationContext ?? 'body',
    );
    return reply.status(400).send(errorBody('VALIDATION_ERROR', message, { field }));
  }
  const status = fastifyError.statusCode;
  if (status && status >= 400 && status < 500) {
    const code = FASTIFY_CODES[fastifyError.code] ?? (status === 400 ? 'VALIDATION_ERROR' : 'BAD_REQUEST');
    const message =
      fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'Body is not valid JSON' : error.message;
    return reply.status(status).send(errorBody(code, message));
  }
  if (isDatabaseUnavailable(error)) {
    request.log.warn({ err: error.message }, 'database unavailable');
    return reply
      .status(503)
      .header('retry-after', '5')
      .send(errorBody('SERVICE_UNAVAILABLE', 'Database unavailable, try again shortly'));
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.status(500).send(errorBody('INTERNAL_ERROR', 'Internal server error'));
}
