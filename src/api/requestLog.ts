/**
 * One log line per request, written when it ends (instead of Fastify's two — "incoming request",
 * "request completed" — through its LogController hook): 5xx at `error`, slow ones at `warn`, other refusals (4xx) at
 * `info`, the rest at `debug`. So at the default `info` level a busy API logs what needs a look,
 * and `LOG_LEVEL=debug` shows every request. Writing two redacted JSON lines for every request at
 * `info` cost ~33 µs of a cached read's ~88 µs of server CPU (bench:api, docs/BENCHMARKS.md).
 */

import { type FastifyBaseLogger, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';
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
  // The app's logger is the system's pino logger (app.ts); its request loggers (below) can say this.
  const log = request.log as unknown as RequestLogger;
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

type LogArgs = Parameters<Logger['info']>;

/**
 * A request's logger, which makes its pino child (bound to the request id) only when something
 * logs through it. pino runs its redaction over a child's bindings as it makes one — ~2 µs, 5 % of
 * a cached read's server CPU (docs/BENCHMARKS.md) — and most requests log nothing: at `info` a
 * successful one writes no line at all.
 */
export class RequestLogger {
  #child: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get real(): Logger {
    this.#child ??= this.parent.child(this.bindings, this.options);
    return this.#child;
  }

  get level(): string {
    return this.#child?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  /** Asked of the parent while there is no child and no level of the request's own. */
  isLevelEnabled(level: string): boolean {
    if (this.#child || this.options.level !== undefined) return this.real.isLevelEnabled(level);
    return this.parent.isLevelEnabled(level);
  }

  fatal(...args: LogArgs): void {
    this.real.fatal(...args);
  }
  error(...args: LogArgs): void {
    this.real.error(...args);
  }
  warn(...args: LogArgs): void {
    this.real.warn(...args);
  }
  info(...args: LogArgs): void {
    this.real.info(...args);
  }
  debug(...args: LogArgs): void {
    this.real.debug(...args);
  }
  trace(...args: LogArgs): void {
    this.real.trace(...args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, options) as unknown as FastifyBaseLogger;
  }
}

/** Fastify's `childLoggerFactory`: one lazy RequestLogger per request. */
export function requestLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new RequestLogger(logger as unknown as Logger, bindings, options) as unknown as FastifyBaseLogger;
}
