/**
 * A task queued behind its thread's active run is "parked": pending, with a `run_at` no claim
 * reaches. When the run before it ends, `promoteNext` sets `run_at` to now and it runs. The claim
 * query needs no change, and a parked task is still "pending" (so its thread reads busy).
 */
export const PARKED_RUN_AT = '9999-01-01 00:00:00';
