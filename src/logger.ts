import { createRequire } from 'node:module';
import { type Logger, pino } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

const require = createRequire(import.meta.url);

/**
 * Paths redacted from every log line, so a secret handed to a logger by mistake never lands in a
 * file (SPEC §6: "secrets never appear in logs").
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'newPassword',
  '*.newPassword',
  'token',
  '*.token',
  'refreshToken',
  '*.refreshToken',
  'apiKey',
  '*.apiKey',
  'value',
  'secret',
  '*.secret',
  'req.headers.authorization',
  'req.headers["x-auth-token"]',
  'req.headers.cookie',
  'headers.authorization',
];

/**
 * JSON lines (for log shippers), or readable colored lines when the destination is a terminal
 * (SPEC §14). pino-pretty is loaded only then, and formats in-process (no worker thread).
 */
export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  const target = destination ?? process.stdout;
  if ((target as { isTTY?: boolean }).isTTY) {
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    return pino(
      options,
      pretty.build({ destination: target, colorize: true, sync: true, ignore: 'pid,hostname' }),
    );
  }
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
