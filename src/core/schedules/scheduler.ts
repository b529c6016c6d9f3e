/**
 * Fires schedules (SPEC §14). Every node that runs the engine runs one; they share the work
 * through the database alone:
 * - a pass reads the soonest schedules (`nextSchedules`) and fires each due one in its own
 *   transaction: lock it (`SKIP LOCKED`: another node's is skipped, not waited for), record each
 *   fire (unique per fire time) with the task or run it creates, move `next_fire_at` on, commit;
 * - a crash before the commit leaves nothing behind and the next pass (here or elsewhere) fires
 *   the same times; after it, the fire records prevent a second task. So each fire time yields
 *   exactly one task or run, across nodes and restarts.
 * Times come from the database clock (see `lockDueSchedule`).
 */
import type { Db, Queryable } from '../../db/index.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { FireKind, Schedule, ScheduleRow } from '../../repositories/schedules.js';
import { toSchedule } from '../../repositories/schedules.js';
import type { Workflow } from '../../repositories/workflows.js';
import type { EventBus } from '../eventBus.js';
import type { PreparedTask, TaskQueue } from '../queue/taskQueue.js';
import type { WorkflowEngine } from '../workflows/workflowEngine.js';
import { CronSpec, DEFAULT_GRACE_MS, planFires } from './cron.js';
import { advanceSchedule } from './sql/advanceSchedule.js';
import { insertFire } from './sql/insertFire.js';
import { lockDueSchedule } from './sql/lockDueSchedule.js';
import { nextSchedules } from './sql/nextSchedules.js';
import { previousFireActive } from './sql/previousFireActive.js';
import { settleFire } from './sql/settleFire.js';

export interface SchedulerDeps {
  db: Db;
  queue: TaskQueue;
  workflows: WorkflowEngine;
  events: EventBus;
  logger: Logger;
}

export interface SchedulerOptions {
  /** A fire time later than this when first seen counts as missed (`catchUp` decides). */
  graceMs?: number;
  /** Longest sleep between passes: how soon a new or changed schedule is noticed. */
  maxSleepMs?: number;
}

export interface FireResult {
  fireId: string;
  fireTime: Date;
  kind: FireKind;
  status: 'fired' | 'failed';
  taskId: string | null;
  runId: string | null;
  error: string | null;
}

const BATCH = 50;
const MIN_SLEEP_MS = 20;

type AfterCommit = () => Promise<unknown> | unknown;
type PreparedTarget = { task: PreparedTask } | { workflow: Workflow } | { error: string };

const sameTarget = (a: ScheduleRow, b: ScheduleRow) =>
  a.target_type === b.target_type &&
  a.target_id === b.target_id &&
  JSON.stringify(a.input) === JSON.stringify(b.input);

export class Scheduler {
  private active = false;
  private timer: NodeJS.Timeout | undefined;
  private passing: Promise<void> | undefined;
  private readonly graceMs: number;
  private readonly maxSleepMs: number;

  constructor(
    private readonly deps: SchedulerDeps,
    options: SchedulerOptions = {},
  ) {
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.maxSleepMs = options.maxSleepMs ?? 1_000;
  }

  get running(): boolean {
    return this.active;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.loop();
  }

  async stop(): Promise<void> {
    this.active = false;
    clearTimeout(this.timer);
    await this.passing;
  }

  /** Fires the schedule now (`POST …/trigger`): ignores `enabled` and `overlap`. */
  async trigger(schedule: Schedule): Promise<FireResult> {
    const after: AfterCommit[] = [];
    const fireTime = new Date();
    const target = await this.prepare(schedule);
    const result = await this.deps.db.transaction(async (tx) => {
      const fireId = await insertFire(tx, {
        scheduleUuid: schedule.id,
        fireTime,
        kind: 'manual',
        status: 'fired',
      });
      return this.launch(tx, schedule, target, fireId as string, fireTime, 'manual', after);
    });
    await this.runAfterCommit(after);
    return result;
  }

  private loop(): void {
    if (!this.active) return;
    this.passing = this.pass()
      .catch((err: unknown) => {
        this.deps.logger.warn({ err: (err as Error).message }, 'schedule pass failed');
        return this.maxSleepMs;
      })
      .then((sleepMs) => {
        if (!this.active) return;
        this.timer = setTimeout(() => this.loop(), sleepMs);
        this.timer.unref();
      });
  }

  /** One pass: fires what is due; answers how long to sleep until the next fire time. */
  private async pass(): Promise<number> {
    const upcoming = await nextSchedules(this.deps.db, BATCH);
    for (const s of upcoming) {
      if (!this.active) break;
      if (s.due) await this.fireDue(s);
    }
    const next = upcoming.find((s) => !s.due);
    const allDue = upcoming.length === BATCH && !next;
    if (allDue) return MIN_SLEEP_MS;
    return Math.min(Math.max(next ? next.in_ms : this.maxSleepMs, MIN_SLEEP_MS), this.maxSleepMs);
  }

  private async fireDue(seen: ScheduleRow): Promise<void> {
    const after: AfterCommit[] = [];
    const id = seen.id;
    try {
      // Looked up before the transaction: inside it no other query may run (PGlite is one
      // connection), and no row lock waits on an agent lookup.
      const target = await this.prepare(toSchedule(seen));
      await this.deps.db.transaction(async (tx) => {
        const row = await lockDueSchedule(tx, id);
        // Changed meanwhile (PATCH): the next pass prepares the new target.
        if (!row || !sameTarget(row, seen)) return;
        const plan = this.plan(row);
        if (row.owner_active) {
          for (const fire of plan.fires) {
            await this.fireOne(tx, row, target, fire.time, fire.catchUp ? 'catch-up' : 'cron', after);
          }
        }
        await advanceSchedule(tx, row.id, plan.next);
      });
    } catch (err) {
      this.deps.logger.error({ err, scheduleId: id }, 'could not fire schedule; the next pass retries');
      return;
    }
    await this.runAfterCommit(after);
  }

  private plan(row: ScheduleRow & { db_now: Date }) {
    try {
      const spec = new CronSpec(row.cron, row.timezone);
      return planFires(spec, row.next_fire_at as Date, row.db_now, row.catch_up, this.graceMs);
    } catch (err) {
      // A stored expression the parser no longer accepts: stop it rather than retry every pass.
      this.deps.logger.error({ err, scheduleId: row.schedule_id }, 'schedule cron no longer parses; stopped');
      return { fires: [], next: null };
    }
  }

  private async fireOne(
    tx: Queryable,
    row: ScheduleRow,
    target: PreparedTarget,
    fireTime: Date,
    kind: FireKind,
    after: AfterCommit[],
  ): Promise<void> {
    const schedule = toSchedule(row);
    const scope = { ownerId: row.created_by };
    if (row.overlap === 'skip' && (await previousFireActive(tx, row.id))) {
      const recorded = await insertFire(tx, {
        scheduleUuid: row.id,
        fireTime,
        kind,
        status: 'skipped',
        error: 'the previous fire is still active (overlap: skip)',
      });
      if (recorded) {
        after.push(() =>
          this.deps.events.emit(
            'schedule:skipped',
            { scheduleId: row.schedule_id, fireTime: fireTime.toISOString(), reason: 'overlap' },
            scope,
          ),
        );
      }
      return;
    }
    const fireId = await insertFire(tx, { scheduleUuid: row.id, fireTime, kind, status: 'fired' });
    if (!fireId) return; // fired already: the fire record says so
    await this.launch(tx, schedule, target, fireId, fireTime, kind, after);
  }

  /** The task or run every fire of the schedule creates, validated; or why the target refuses. */
  private async prepare(schedule: Schedule): Promise<PreparedTarget> {
    try {
      if ('workflowId' in schedule.target) {
        const { workflowId, input } = schedule.target;
        return { workflow: await this.deps.workflows.prepareRun(workflowId, input) };
      }
      const { agentId, input } = schedule.target;
      return { task: await this.deps.queue.prepare({ agentId, input, createdBy: schedule.createdBy }) };
    } catch (error) {
      if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
      // The target refuses (agent inactive or gone, bad input): each fire is recorded as failed.
      return { error: error.message };
    }
  }

  /** Creates the fire's task or workflow run in `tx`, or records the target's refusal. */
  private async launch(
    tx: Queryable,
    schedule: Schedule,
    target: PreparedTarget,
    fireId: string,
    fireTime: Date,
    kind: FireKind,
    after: AfterCommit[],
  ): Promise<FireResult> {
    const metadata = { scheduleId: schedule.scheduleId, fireTime: fireTime.toISOString() };
    const owner = schedule.createdBy;
    const result: FireResult = {
      fireId,
      fireTime,
      kind,
      status: 'fired',
      taskId: null,
      runId: null,
      error: null,
    };
    if ('workflow' in target && 'workflowId' in schedule.target) {
      const { workflowId, input } = schedule.target;
      const runId = await this.deps.workflows.createRun(tx, target.workflow, input, owner, metadata);
      await settleFire(tx, fireId, { runId });
      result.runId = runId;
      after.push(() => this.deps.workflows.launch(runId, workflowId, owner));
    } else if ('task' in target) {
      const task = await this.deps.queue.insertPrepared(target.task, tx, metadata);
      await settleFire(tx, fireId, { taskUuid: task.id });
      result.taskId = task.taskId;
      after.push(() => this.deps.queue.announce(task, target.task.agent));
    } else {
      result.status = 'failed';
      result.error = 'error' in target ? target.error : 'the target changed';
      await settleFire(tx, fireId, { error: result.error });
    }
    after.push(() =>
      this.deps.events.emit(
        'schedule:fired',
        {
          scheduleId: schedule.scheduleId,
          fireTime: metadata.fireTime,
          kind,
          status: result.status,
          taskId: result.taskId,
          runId: result.runId,
          ...(result.error ? { error: result.error } : {}),
        },
        { ownerId: owner, ...(result.taskId ? { taskId: result.taskId } : {}) },
      ),
    );
    return result;
  }

  private async runAfterCommit(after: AfterCommit[]): Promise<void> {
    for (const step of after) {
      try {
        await step();
      } catch (err) {
        this.deps.logger.warn({ err }, 'schedule fire committed; its follow-up failed');
      }
    }
  }
}
