import { describe, expect, it } from 'vitest';
import { ExponentialBackoff } from '../../../src/core/queue/backoff.js';

describe('ExponentialBackoff', () => {
  it('doubles the delay with each attempt when there is no jitter', () => {
    const b = new ExponentialBackoff({ baseMs: 100, jitter: 0 });
    expect([1, 2, 3, 4].map((n) => b.delayMs(n))).toEqual([100, 200, 400, 800]);
  });

  it('keeps every delay longer than the previous one even at the jitter extremes', () => {
    const low = new ExponentialBackoff({ baseMs: 100, jitter: 0.3, random: () => 0 });
    const high = new ExponentialBackoff({ baseMs: 100, jitter: 0.3, random: () => 0.999999 });
    for (let n = 1; n < 8; n++) expect(low.delayMs(n + 1)).toBeGreaterThan(high.delayMs(n));
  });

  it('spreads delays with jitter within the configured band', () => {
    const b = new ExponentialBackoff({ baseMs: 1000, jitter: 0.2 });
    const delays = Array.from({ length: 200 }, () => b.delayMs(1));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(800);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1200);
    expect(new Set(delays).size).toBeGreaterThan(10);
  });

  it('caps the delay at maxMs', () => {
    const b = new ExponentialBackoff({ baseMs: 1000, maxMs: 5000, jitter: 0 });
    expect(b.delayMs(20)).toBe(5000);
  });
});
