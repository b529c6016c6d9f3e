/**
 * Per-IP and per-user request limits over a one-minute sliding window, plus the stricter login
 * limit. A refusal is 429 RATE_LIMITED with `Retry-After` (seconds) in the header and details.
 */
import { AppError } from '../errors.js';
import type { WindowStore } from './windowStore.js';

export const RATE_WINDOW_MS = 60_000;

export interface RateLimits {
  /** Requests per minute per client IP and per user; 0 turns the limit off. */
  perMinute: number;
  /** Login attempts per minute per IP; 0 turns it off. */
  loginPerMinute: number;
}

export type RateScope = 'ip' | 'user' | 'login';

export function rateLimited(retryAfterMs: number, message = 'Too many requests'): AppError {
  const retryAfterSeconds = Math.max(Math.ceil(retryAfterMs / 1000), 1);
  return new AppError(`${message}; retry in ${retryAfterSeconds} s`, 429, 'RATE_LIMITED', {
    retryAfterSeconds,
  });
}

export class RateLimiter {
  constructor(
    private readonly store: WindowStore,
    readonly limits: RateLimits,
  ) {}

  get backend(): 'redis' | 'memory' {
    return this.store.backend;
  }

  /** Counts one request; throws 429 when `id` is over its limit for `scope`. */
  async consume(scope: RateScope, id: string): Promise<void> {
    const limit = scope === 'login' ? this.limits.loginPerMinute : this.limits.perMinute;
    if (limit <= 0) return;
    const hit = await this.store.hit(`rl:${scope}:${id}`, RATE_WINDOW_MS, limit);
    if (!hit.allowed) throw rateLimited(hit.retryAfterMs);
  }
}
