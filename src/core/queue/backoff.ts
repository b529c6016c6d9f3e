/**
 * Retry back-off: a small pure policy (BullMQ's `backoffs.ts` shape), testable alone.
 *
 * Exponential with bounded jitter: attempt n waits base·2^(n-1), scaled by a random factor in
 * [1 - jitter, 1 + jitter], capped at `maxMs`. With jitter ≤ 1/3 each delay is still longer than
 * the one before (2·(1 - j) ≥ 1 + j), while workers retrying the same failure spread out.
 */
export interface BackoffPolicy {
  /** Delay before retry number `attempt` (1 = first retry). */
  delayMs(attempt: number): number;
}

export interface ExponentialBackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** Fraction of the delay that is random, 0–1/3. */
  jitter?: number;
  random?: () => number;
}

export class ExponentialBackoff implements BackoffPolicy {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: ExponentialBackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 1_000;
    this.maxMs = options.maxMs ?? 5 * 60_000;
    this.jitter = Math.min(Math.max(options.jitter ?? 0.2, 0), 1 / 3);
    this.random = options.random ?? Math.random;
  }

  delayMs(attempt: number): number {
    const exponential = this.baseMs * 2 ** Math.max(attempt - 1, 0);
    const factor = 1 - this.jitter + 2 * this.jitter * this.random();
    return Math.round(Math.min(exponential, this.maxMs) * factor);
  }
}
