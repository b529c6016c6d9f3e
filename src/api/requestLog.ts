/**
 * One log line per request, written when it ends (instead of Fastify's two — "incoming request",
 * "request completed" — through its LogController hook): 5xx at `error`, slow ones at `warn`, other refusals (4xx) at
 * `info`, the rest at `debug`. So at the default `info` level a busy API logs what needs a look,
 * and `LOG_LEVEL=debug` shows every request. Writing two redacted JSON lines for every request at
 * `info` cost ~33 µs of a cached read's ~88 µs of server CPU (bench:api, docs/BENCHMARKS.md).
 */
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from '../logger.js';

/** A request that took this long is logged at `warn`, whatever its status (streams excepted). */
export const SLOW_REQUEST_MS = 1_000;

type Level = 'error' | 'warn' | 'info' | 'debug';

export function requestLogLevel(statusCode: number, elapsedMs: number, stream: boolean): Level {
  if (statusCode >= 500) return 'error';
  if (!stream && elapsedMs >= SLOW_REQUEST_MS) return 'warn';
  return statusCode >= 400 ? 'info' : 'debug';
}

export function logRequest(request: FastifyRequest, reply: FastifyReply): void {
  const level = requestLogLevel(
    reply.statusCode,
    reply.elapsedTime,
    request.routeOptions.config?.stream === true,
  );
  // The app's logger is the system's pino logger (app.ts), whose request children can say this.
  const log = request.log as unknown as Logger;
  if (!log.isLevelEnabled(level)) return;
  log[level](
    {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
    },
    'request',
  );
}

/** Fastify's log controller with the request lines above (everything else as Fastify logs it). */
export class RequestLogController extends LogController {
  override incomingRequest(): void {
    // Nothing when a request comes in: its one line is written when it ends.
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) super.requestCompleted(error, request, reply);
    else logRequest(request, reply);
  }
}
