/** NOTIFY channels of the queue (fixed names: LISTEN takes identifiers, never input). */
export const NEW_TASK_CHANNEL = 'bsm_task_new';
/** Payload: tasks.id of a running task whose cancel was requested. */
export const CANCEL_CHANNEL = 'bsm_task_cancel';
