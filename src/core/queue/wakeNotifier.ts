import type { Db } from '../../db/index.js';
import type { Logger } from '../../logger.js';
import { NEW_TASK_CHANNEL } from './channels.js';

/**
 * Wakes idle workers on every node after tasks were committed: one NOTIFY per burst of submits
 * instead of one per task. At most one NOTIFY is in flight per process; submits during it ask for
 * exactly one more, sent when it returns — so a task committed before any NOTIFY that follows it
 * is always announced, and PostgreSQL's notify lock is taken by one statement per node at a time
 * rather than by every submit's commit. Polling (BSM_POLL_INTERVAL_MS) stays the fallback.
 */
export class WakeNotifier {
  private inFlight = false;
  private again = false;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  /** Call after the task's INSERT committed; never throws, never waits. */
  notify(): void {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    this.db
      .notify(NEW_TASK_CHANNEL, '')
      .catch((err: unknown) => this.logger.warn({ err }, 'new-task NOTIFY failed; workers poll'))
      .finally(() => {
        this.inFlight = false;
        if (this.again) {
          this.again = false;
          this.notify();
        }
      });
  }
}
