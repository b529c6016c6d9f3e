/** NOTIFY channel: new rows in `event_log` (every node's tail reads them). */
export const EVENT_LOG_CHANNEL = 'bsm_event_log';
