/**
 * A provider failure that no retry can fix — its configuration is missing (a key) — so the task
 * fails at once with a message saying what to set, instead of spending its attempts and back-off.
 */
export class ProviderConfigError extends Error {
  readonly retryable = false;
}

/** False for failures that would fail the same way on every attempt. */
export function isRetryable(error: unknown): boolean {
  return !(error && typeof error === 'object' && (error as { retryable?: unknown }).retryable === false);
}
