/**
 * Schedules as clients manage them (SPEC §14): validation (cron, zone, target), the next fire
 * time, events. Firing is the Scheduler's.
 */

import type { Page, PageRequest } from '../../domain.js';
import { validation } from '../../errors.js';
import type { Logger } from '../../logger.js';
import {
  type CatchUpPolicy,
  type Overlap,
  type Schedule,
  type SchedulePatch,
  type ScheduleRepository,
  type ScheduleTarget,
  targetColumns,
} from '../../repositories/schedules.js';
import type { WorkflowRepository } from '../../repositories/workflows.js';
import type { AgentManager } from '../agentManager.js';
import type { EventBus } from '../eventBus.js';
import { InvalidTaskInputError, taskMessages } from '../providers/input.js';
import { CronSpec } from './cron.js';

export interface ScheduleInput {
  scheduleId: string;
  cron: string;
  timezone?: string;
  target: ScheduleTarget;
  overlap?: Overlap;
  catchUp?: CatchUpPolicy;
  enabled?: boolean;
}

export type ScheduleChange = Partial<Omit<ScheduleInput, 'scheduleId'>>;

export interface SchedulesDeps {
  repo: ScheduleRepository;
  agents: AgentManager;
  workflows: WorkflowRepository;
  events: EventBus;
  logger: Logger;
}

export class Schedules {
  constructor(private readonly deps: SchedulesDeps) {}

  async create(input: ScheduleInput, createdBy: string | null): Promise<Schedule> {
    const timezone = input.timezone ?? 'UTC';
    const spec = new CronSpec(input.cron, timezone);
    await this.checkTarget(input.target);
    const enabled = input.enabled ?? true;
    const schedule = await this.deps.repo.create({
      scheduleId: input.scheduleId,
      cron: spec.expression,
      timezone,
      target: input.target,
      overlap: input.overlap ?? 'skip',
      catchUp: input.catchUp ?? 'none',
      enabled,
      nextFireAt: enabled ? spec.next(new Date()) : null,
      createdBy,
    });
    this.deps.events.emit('schedule:created', { scheduleId: schedule.scheduleId }, { ownerId: createdBy });
    return schedule;
  }

  get(scheduleId: string): Promise<Schedule> {
    return this.deps.repo.findByScheduleId(scheduleId);
  }

  list(filters: { createdBy?: string } & PageRequest): Promise<Page<Schedule>> {
    return this.deps.repo.list(filters);
  }

  /**
   * Applies a change. A new cron or zone, or enabling, starts counting from now: fire times
   * while it was disabled are not caught up. Disabling clears the next fire time.
   */
  async update(current: Schedule, change: ScheduleChange): Promise<Schedule> {
    const cron = change.cron ?? current.cron;
    const timezone = change.timezone ?? current.timezone;
    const spec = new CronSpec(cron, timezone);
    if (change.target) await this.checkTarget(change.target);
    const enabled = change.enabled ?? current.enabled;
    const patch: SchedulePatch = {
      cron: change.cron,
      timezone: change.timezone,
      ...(change.target ? { ...targetColumns(change.target), input: change.target.input } : {}),
      overlap: change.overlap,
      catchUp: change.catchUp,
      enabled: change.enabled,
    };
    const retimed = change.cron !== undefined || change.timezone !== undefined;
    if (!enabled) patch.nextFireAt = null;
    else if (retimed || !current.enabled) patch.nextFireAt = spec.next(new Date());
    const schedule = await this.deps.repo.update(current.scheduleId, patch);
    this.deps.events.emit(
      'schedule:updated',
      { scheduleId: schedule.scheduleId, fields: Object.keys(change) },
      { ownerId: schedule.createdBy },
    );
    return schedule;
  }

  async delete(schedule: Schedule): Promise<void> {
    await this.deps.repo.delete(schedule.scheduleId);
    this.deps.events.emit(
      'schedule:deleted',
      { scheduleId: schedule.scheduleId },
      { ownerId: schedule.createdBy },
    );
  }

  /** The agent or workflow must exist, and a task's input must be one the queue would accept. */
  private async checkTarget(target: ScheduleTarget): Promise<void> {
    if ('workflowId' in target) {
      await this.deps.workflows.findByWorkflowId(target.workflowId).catch(() => {
        throw validation(`No workflow ${target.workflowId}`, { field: 'target.workflowId' });
      });
      return;
    }
    await this.deps.agents.get(target.agentId).catch(() => {
      throw validation(`No agent ${target.agentId}`, { field: 'target.agentId' });
    });
    try {
      taskMessages(target.input);
    } catch (error) {
      if (error instanceof InvalidTaskInputError)
        throw validation(`target.input: ${error.message}`, { field: 'target.input' });
      throw error;
    }
  }
}
