import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ScheduleChange, ScheduleInput } from '../../core/schedules/schedules.js';
import { notFound } from '../../errors.js';
import type { Schedule } from '../../repositories/schedules.js';
import type { System } from '../../system.js';
import { auditRequest } from '../audit.js';
import { errorResponses, pageOf, pageQuery } from '../schemas/common.js';
import { scheduleCreateBody, scheduleParams, schedulePatchBody } from '../schemas/schedules.js';
import { ownerScope } from './tasks.js';

const scheduleRef = { $ref: 'Schedule#' } as const;
type Params = { Params: { scheduleId: string } };

/** Another user's schedule answers exactly like a missing one (SPEC §10). */
async function visibleSchedule(
  system: System,
  request: FastifyRequest,
  scheduleId: string,
): Promise<Schedule> {
  const schedule = await system.schedules.get(scheduleId);
  const owner = ownerScope(request);
  if (owner !== undefined && schedule.createdBy !== owner) throw notFound('Schedule', 'SCHEDULE_NOT_FOUND');
  return schedule;
}

/** `/api/schedules` (SPEC §14): a user manages their own, a viewer reads all, an admin does all. */
export const scheduleRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  const { schedules } = system;

  app.post<{ Body: ScheduleInput }>(
    '',
    {
      config: { access: 'schedule:manage' },
      schema: {
        tags: ['schedules'],
        summary:
          'Create a schedule: a cron (5 fields, or 6 with seconds) in a time zone firing a task or a run',
        body: scheduleCreateBody,
        response: { 201: scheduleRef, ...errorResponses },
      },
    },
    async (request, reply) => {
      const schedule = await schedules.create(request.body, request.user?.id ?? null);
      await auditRequest(system.audit, request, {
        action: 'schedule.create',
        resourceType: 'schedule',
        resourceId: schedule.scheduleId,
        details: { cron: schedule.cron, timezone: schedule.timezone, target: targetName(schedule) },
      });
      return reply.status(201).send(schedule);
    },
  );

  app.get<{ Querystring: { limit: number; offset: number } }>(
    '',
    {
      config: { access: 'schedule:view' },
      schema: {
        tags: ['schedules'],
        summary: 'List schedules, newest first (a user sees only their own)',
        querystring: { type: 'object', additionalProperties: false, properties: pageQuery },
        response: { 200: pageOf(scheduleRef), ...errorResponses },
      },
    },
    (request) => schedules.list({ ...request.query, createdBy: ownerScope(request) }),
  );

  app.get<Params>(
    '/:scheduleId',
    {
      config: { access: 'schedule:view' },
      schema: {
        tags: ['schedules'],
        summary: 'Get a schedule',
        params: scheduleParams,
        response: { 200: scheduleRef, ...errorResponses },
      },
    },
    (request) => visibleSchedule(system, request, request.params.scheduleId),
  );

  app.patch<Params & { Body: ScheduleChange }>(
    '/:scheduleId',
    {
      config: { access: 'schedule:manage' },
      schema: {
        tags: ['schedules'],
        summary: 'Change a schedule; a new cron or zone, or enabling, counts from now',
        params: scheduleParams,
        body: schedulePatchBody,
        response: { 200: scheduleRef, ...errorResponses },
      },
    },
    async (request) => {
      const current = await visibleSchedule(system, request, request.params.scheduleId);
      const schedule = await schedules.update(current, request.body);
      await auditRequest(system.audit, request, {
        action: 'schedule.update',
        resourceType: 'schedule',
        resourceId: schedule.scheduleId,
        details: { fields: Object.keys(request.body), enabled: schedule.enabled },
      });
      return schedule;
    },
  );

  app.delete<Params>(
    '/:scheduleId',
    {
      config: { access: 'schedule:manage' },
      schema: {
        tags: ['schedules'],
        summary: 'Delete a schedule and its fire records (tasks and runs it created stay)',
        params: scheduleParams,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const schedule = await visibleSchedule(system, request, request.params.scheduleId);
      await schedules.delete(schedule);
      await auditRequest(system.audit, request, {
        action: 'schedule.delete',
        resourceType: 'schedule',
        resourceId: schedule.scheduleId,
      });
      return reply.status(204).send();
    },
  );

  app.post<Params>(
    '/:scheduleId/trigger',
    {
      config: { access: 'schedule:manage' },
      schema: {
        tags: ['schedules'],
        summary: 'Fire now (ignores enabled and overlap); answers the fire with its task or run',
        params: scheduleParams,
        response: { 202: { $ref: 'ScheduleFire#' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const schedule = await visibleSchedule(system, request, request.params.scheduleId);
      const fire = await system.scheduler.trigger(schedule);
      await auditRequest(system.audit, request, {
        action: 'schedule.trigger',
        resourceType: 'schedule',
        resourceId: schedule.scheduleId,
        details: { status: fire.status, taskId: fire.taskId, runId: fire.runId },
      });
      return reply.status(202).send({ ...fire, createdAt: fire.fireTime });
    },
  );

  app.get<Params & { Querystring: { limit: number; offset: number } }>(
    '/:scheduleId/runs',
    {
      config: { access: 'schedule:view' },
      schema: {
        tags: ['schedules'],
        summary: 'The schedule’s fires, newest first: each with its task or run, or why it was skipped',
        params: scheduleParams,
        querystring: { type: 'object', additionalProperties: false, properties: pageQuery },
        response: { 200: pageOf({ $ref: 'ScheduleFire#' }), ...errorResponses },
      },
    },
    async (request) => {
      const schedule = await visibleSchedule(system, request, request.params.scheduleId);
      return system.repos.schedules.fires(schedule.id, request.query);
    },
  );
};

const targetName = (s: Schedule) =>
  'workflowId' in s.target ? { workflowId: s.target.workflowId } : { agentId: s.target.agentId };
