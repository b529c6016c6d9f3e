/**
 * Claim-ahead: tasks a worker claimed before a slot was free for them, held leased in the worker
 * so that a slot that frees starts its next task at once instead of idling through a claim's
 * round trip (SPEC §15; docs/BENCHMARKS.md measured that wait as what held the drain back).
 *
 * - How many: as many as the slots finish during one claim's round trip (Little's law: slots ×
 *   claim time ÷ execution time, both running averages), at most `maxAhead`. Tasks that take
 *   seconds (model calls) against a claim's few milliseconds give 0: a worker running them holds
 *   nothing. A stream of short tasks keeps a claim's worth ready, and claims grow with it (fewer
 *   statements per task).
 * - How long: at most `holdMs`. A held task not started by then goes back to `pending`, untouched,
 *   for any node to take — a busy node never sits on work another node could run — and the
 *   estimate learns that tasks now take at least that long (so it stops claiming ahead at once).
 * A held task is `running` in the database (leased to this node, its lease renewed like the
 * others): a cancel ends it without running it, a lost lease drops it, stop() starts what its
 * free slots can take (the drain waits for those) and gives the rest back.
 */
import type { Agent, Task } from '../../domain.js';
import type { Checkpoint } from './checkpoint.js';

export interface HeldTask {
  task: Task;
  agent: Agent | undefined;
  checkpoint: Checkpoint | undefined;
  traceparent: string | null | undefined;
  /** performance.now() when it was claimed. */
  since: number;
}

/** Weight of the newest observation in the running averages. */
const ALPHA = 0.2;
const average = (current: number, sample: number) =>
  Number.isFinite(current) ? current + ALPHA * (sample - current) : sample;

export class HeldTasks {
  private readonly tasks = new Map<string, HeldTask>();
  /** Running average of a task's execution time (none yet: claim nothing ahead). */
  private runMs = Number.POSITIVE_INFINITY;
  /** Running average of a claim's round trip (none yet: NaN). */
  private claimMs = Number.NaN;

  constructor(
    private readonly slots: number,
    private readonly maxAhead: number,
    readonly holdMs: number,
  ) {}

  get size(): number {
    return this.tasks.size;
  }

  /** How many tasks to claim beyond the free slots. */
  get wanted(): number {
    // NaN until a claim was timed; 0 until a task ran (runMs infinite); Infinity for 0 ms runs.
    const n = Math.floor((this.slots * this.claimMs) / this.runMs);
    return Number.isNaN(n) ? 0 : Math.min(this.maxAhead, n);
  }

  /** A claim's answer came `ms` after it was asked. */
  observeClaim(ms: number): void {
    this.claimMs = average(this.claimMs, ms);
  }

  /** A task's execution ended after `ms`. */
  observeRun(ms: number): void {
    this.runMs = average(this.runMs, ms);
  }

  hold(entry: HeldTask): void {
    this.tasks.set(entry.task.id, entry);
  }

  has(id: string): boolean {
    return this.tasks.has(id);
  }

  ids(): string[] {
    return [...this.tasks.keys()];
  }

  /** Removes and returns the held task `id`. */
  take(id: string): HeldTask | undefined {
    const entry = this.tasks.get(id);
    this.tasks.delete(id);
    return entry;
  }

  /**
   * Removes and returns, in claim order, the held tasks `canStart` accepts, until `room` of them;
   * the others stay (their agent is at its limit on this node for now).
   */
  takeStartable(room: number, canStart: (entry: HeldTask) => boolean): HeldTask[] {
    const out: HeldTask[] = [];
    for (const entry of this.tasks.values()) {
      if (out.length >= room) break;
      if (!canStart(entry)) continue;
      this.tasks.delete(entry.task.id);
      out.push(entry);
    }
    return out;
  }

  /**
   * Removes and returns the ids of tasks held `holdMs` or longer at `now`. No slot freed in that
   * time: tasks take at least that long now, which stops the claim-ahead until shorter ones show.
   */
  takeExpired(now: number): string[] {
    const out: string[] = [];
    for (const [id, entry] of this.tasks) {
      if (now - entry.since < this.holdMs) break; // held in claim order: the rest are younger
      this.tasks.delete(id);
      out.push(id);
    }
    if (out.length) this.runMs = Math.max(this.runMs, this.holdMs * this.slots);
    return out;
  }

  /** Removes and returns every held task's id. */
  takeAll(): string[] {
    const out = this.ids();
    this.tasks.clear();
    return out;
  }

  /** When the oldest held task's hold ends (performance.now() time), if any is held. */
  nextExpiry(): number | undefined {
    for (const entry of this.tasks.values()) return entry.since + this.holdMs;
    return undefined;
  }
}
