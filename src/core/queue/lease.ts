/**
 * Leases: a claimed task belongs to one node until its lease expires. The node renews every lease
 * it holds at a third of the lease length (so one missed renewal is harmless), learns of cancels
 * from the renewal's answer, and aborts a task whose lease was taken from it.
 */
import type { Db } from '../../db/index.js';
import type { Logger } from '../../logger.js';
import { renewLeases } from './sql/renewLeases.js';

export interface LeaseEvents {
  /** Ids of the tasks this node runs now. */
  held(): string[];
  onCancelRequested(id: string): void;
  onLost(id: string): void;
}

export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly owner: string,
    readonly leaseMs: number,
    private readonly events: LeaseEvents,
    private readonly logger: Logger,
  ) {}

  get leaseSeconds(): number {
    return this.leaseMs / 1000;
  }

  start(): void {
    this.timer = setInterval(
      () => {
        this.renewing ??= this.renew().finally(() => {
          this.renewing = undefined;
        });
      },
      Math.max(Math.floor(this.leaseMs / 3), 50),
    );
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
  }

  async renew(): Promise<void> {
    const ids = this.events.held();
    if (ids.length === 0) return;
    try {
      const rows = await renewLeases(this.db, this.owner, ids, this.leaseSeconds);
      const kept = new Set(rows.map((r) => r.id));
      for (const r of rows) if (r.cancel_requested) this.events.onCancelRequested(r.id);
      // A task finished between `held()` and the UPDATE is also absent; onLost ignores ids it
      // no longer runs.
      for (const id of ids) if (!kept.has(id)) this.events.onLost(id);
    } catch (err) {
      // The database is away: keep running; if it stays away past the expiry, another node
      // reclaims the tasks and our completion is refused by the lease check.
      this.logger.warn({ err: (err as Error).message }, 'could not renew task leases');
    }
  }
}
