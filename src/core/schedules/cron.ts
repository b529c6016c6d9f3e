/**
 * Cron expressions and the fire-time policy of schedules (SPEC §14), pure and testable alone.
 * Parsing is croner's (maintained, time-zone aware, DST-correct); this file only decides which
 * fields we accept and which fire times a scheduler fires.
 */
import { Cron } from 'croner';
import { validation } from '../../errors.js';

export type CatchUp = 'none' | 'latest';

/** A fire time more than this late when a scheduler first sees it was missed (no node was running). */
export const DEFAULT_GRACE_MS = 5_000;
/** Bounds the on-time fires handled in one pass (a every-second cron with the default grace: ≤ 6). */
const MAX_FIRES_PER_PASS = 100;
const MAX_CRON_LENGTH = 200;

export class CronSpec {
  private readonly cron: Cron;

  /** Throws a 400 naming the field when the expression or the zone is not valid. */
  constructor(
    readonly expression: string,
    readonly timezone: string,
  ) {
    if (expression.length > MAX_CRON_LENGTH) throw validation('cron is too long', { field: 'cron' });
    const fields = expression.trim().split(' ').filter(Boolean);
    if (fields.length !== 5 && fields.length !== 6) {
      throw validation('cron must have 5 fields, or 6 with seconds first', { field: 'cron' });
    }
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      throw validation(`Unknown time zone ${timezone}`, { field: 'timezone' });
    }
    try {
      this.cron = new Cron(fields.join(' '), { timezone, paused: true, mode: '5-or-6-parts' });
    } catch (error) {
      throw validation(`Invalid cron: ${(error as Error).message}`, { field: 'cron' });
    }
    if (!this.cron.nextRun()) throw validation('cron never fires', { field: 'cron' });
  }

  /** The first fire time strictly after `after` (fire times are whole seconds). */
  next(after: Date): Date | null {
    return this.cron.nextRun(after);
  }

  /** The latest fire time strictly before `before`. */
  previous(before: Date): Date | undefined {
    return this.cron.previousRuns(2, before).find((d) => d.getTime() < before.getTime());
  }
}

export interface FirePlan {
  /** Fire times to fire now, oldest first; `catchUp` marks the one standing for a missed period. */
  fires: Array<{ time: Date; catchUp: boolean }>;
  /** The new `next_fire_at`: the first fire time after `now`. */
  next: Date | null;
}

/**
 * Which fire times a scheduler fires when it finds a schedule due (`nextFireAt <= now`):
 * those within `graceMs` of now, all of them; those older (no node ran then) only as `catchUp`
 * says — none, or the latest one once.
 */
export function planFires(
  spec: CronSpec,
  nextFireAt: Date,
  now: Date,
  catchUp: CatchUp,
  graceMs = DEFAULT_GRACE_MS,
): FirePlan {
  const fires: FirePlan['fires'] = [];
  const onTimeFrom = new Date(Math.max(nextFireAt.getTime(), now.getTime() - graceMs));
  if (catchUp === 'latest' && nextFireAt.getTime() < onTimeFrom.getTime()) {
    const missed = spec.previous(onTimeFrom);
    if (missed && missed.getTime() >= nextFireAt.getTime()) fires.push({ time: missed, catchUp: true });
  }
  let time = spec.next(new Date(onTimeFrom.getTime() - 1));
  while (time && time.getTime() <= now.getTime() && fires.length < MAX_FIRES_PER_PASS) {
    fires.push({ time, catchUp: false });
    time = spec.next(time);
  }
  return { fires, next: spec.next(now) };
}
