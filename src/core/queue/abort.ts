/** Why a running task is stopped, carried as its AbortSignal's `reason`. */
export type AbortReason = 'timeout' | 'cancel' | 'shutdown' | 'lease-lost';

export class TaskAbort extends Error {
  constructor(readonly reason: AbortReason) {
    super(`task aborted: ${reason}`);
    this.name = 'TaskAbort';
  }
}

export const isAbort = (value: unknown, reason: AbortReason): boolean =>
  value instanceof TaskAbort && value.reason === reason;

/**
 * Settles with `work`, or rejects with the signal's reason as soon as it aborts — so a provider
 * that ignores its signal still cannot hold a slot past the timeout or a cancel.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The error a failed attempt records: the provider's message, or why the task was stopped. */
export function failureMessage(failure: unknown, timeoutSeconds: number): string {
  if (isAbort(failure, 'timeout')) return `timed out after ${timeoutSeconds} s`;
  if (failure instanceof TaskAbort) return 'cancelled';
  return failure instanceof Error ? failure.message : String(failure);
}
