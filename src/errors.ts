/**
 * Errors a client may see. Every failure that reaches the HTTP layer is either an AppError
 * (shown as the SPEC §7 envelope) or a bug (logged, answered with a generic 500).
 */
export class AppError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
    readonly code: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string, code: string) => new AppError(`${what} not found`, 404, code);
export const conflict = (message: string, code: string) => new AppError(message, 409, code);
export const validation = (message: string, details?: unknown) =>
  new AppError(message, 400, 'VALIDATION_ERROR', details);

/** PostgreSQL SQLSTATE codes we translate (https://www.postgresql.org/docs/15/errcodes-appendix.html). */
const PG_UNIQUE_VIOLATION = '23505';
const PG_FOREIGN_KEY_VIOLATION = '23503';
const PG_INVALID_TEXT = '22P02';
const PG_CHECK_VIOLATION = '23514';

export function pgErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export const isUniqueViolation = (error: unknown) => pgErrorCode(error) === PG_UNIQUE_VIOLATION;

/**
 * Turns a database error into an AppError when it is the caller's fault (duplicate, dangling
 * reference, malformed value); anything else is rethrown untouched and becomes a logged 500.
 */
export function translateDbError(error: unknown, onUnique: () => AppError): never {
  const code = pgErrorCode(error);
  if (code === PG_UNIQUE_VIOLATION) throw onUnique();
  if (code === PG_FOREIGN_KEY_VIOLATION)
    throw new AppError('Referenced record does not exist', 400, 'VALIDATION_ERROR');
  if (code === PG_INVALID_TEXT || code === PG_CHECK_VIOLATION) {
    throw new AppError('Invalid value', 400, 'VALIDATION_ERROR');
  }
  throw error;
}

/**
 * Whether an error means "the database is unreachable" rather than "this query is wrong":
 * connection refused/reset, server shutting down or starting (SQLSTATE class 08, 57P01–57P03),
 * pool connect timeouts. The API answers these with 503, not 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = pgErrorCode(error);
  if (
    code &&
    (/^08/.test(code) ||
      ['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code))
  ) {
    return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  );
}
