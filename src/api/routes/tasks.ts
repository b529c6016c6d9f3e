import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { SubmitRequest } from '../../core/queue/taskQueue.js';
import type { Task, TaskStatus } from '../../domain.js';
import { TASK_STATUSES } from '../../domain.js';
import { notFound } from '../../errors.js';
import { seesAllTasks } from '../../security/permissions.js';
import type { System } from '../../system.js';
import { auditRequest, taskCreateAudit } from '../audit.js';
import { errorResponses, pageOf, pageQuery } from '../schemas/common.js';
import { taskCreateBody, taskIdParams } from '../schemas/tasks.js';

const taskRef = { $ref: 'Task#' } as const;
/** Long-poll bound (SPEC §7): a request never hangs longer than a minute. */
export const MAX_WAIT_SECONDS = 60;

/** The user whose tasks the caller may see, or undefined when they see every task. */
export function ownerScope(request: FastifyRequest): string | undefined {
  const user = request.user;
  return user && !seesAllTasks(user.role) ? user.id : undefined;
}

/** Another user's task answers exactly like a missing one (no existence leak, SPEC §6). */
export async function visibleTask(system: System, request: FastifyRequest, taskId: string): Promise<Task> {
  const task = await system.queue.get(taskId);
  const owner = ownerScope(request);
  if (owner !== undefined && task.createdBy !== owner) throw notFound('Task', 'TASK_NOT_FOUND');
  return task;
}

export const taskRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  const { queue } = system;

  app.post<{ Body: Omit<SubmitRequest, 'createdBy' | 'parentTaskId'> }>(
    '',
    {
      config: { access: 'task:create' },
      schema: {
        tags: ['tasks'],
        summary: 'Queue a task for an active agent (resubmitting a taskId returns the existing task)',
        body: taskCreateBody,
        response: { 202: taskRef, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { task } = await queue.submit({
        ...request.body,
        createdBy: request.user?.id ?? null,
        audit: taskCreateAudit(system.audit, request, request.body.agentId),
      });
      return reply.status(202).send(task);
    },
  );

  app.get<{
    Querystring: {
      status?: TaskStatus;
      agentId?: string;
      parentTaskId?: string;
      from?: string;
      to?: string;
      limit: number;
      offset: number;
    };
  }>(
    '',
    {
      config: { access: 'task:view' },
      schema: {
        tags: ['tasks'],
        summary: 'List tasks, newest first (a user sees only their own)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: TASK_STATUSES },
            agentId: { type: 'string', minLength: 1, maxLength: 100 },
            parentTaskId: { type: 'string', format: 'uuid', description: 'children of this task (its `id`)' },
            from: { type: 'string', format: 'date-time', description: 'created at or after' },
            to: { type: 'string', format: 'date-time', description: 'created before' },
            ...pageQuery,
          },
        },
        response: { 200: pageOf(taskRef), ...errorResponses },
      },
    },
    (request) => queue.list({ ...request.query, createdBy: ownerScope(request) }),
  );

  app.get<{ Params: { taskId: string }; Querystring: { wait?: number } }>(
    '/:taskId',
    {
      config: { access: 'task:view' },
      schema: {
        tags: ['tasks'],
        summary: 'Get a task; `?wait=N` waits up to N seconds (max 60) for it to finish',
        params: taskIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { wait: { type: 'integer', minimum: 0, maximum: MAX_WAIT_SECONDS } },
        },
        response: { 200: taskRef, ...errorResponses },
      },
    },
    async (request) => {
      const task = await visibleTask(system, request, request.params.taskId);
      const wait = request.query.wait ?? 0;
      return wait > 0 ? queue.waitForTask(task.taskId, wait * 1000) : task;
    },
  );

  app.post<{ Params: { taskId: string } }>(
    '/:taskId/cancel',
    {
      config: { access: 'task:cancel' },
      schema: {
        tags: ['tasks'],
        summary: 'Cancel a pending task, or abort a running one wherever it runs (409 when finished)',
        params: taskIdParams,
        response: { 200: taskRef, ...errorResponses },
      },
    },
    async (request) => {
      const task = await visibleTask(system, request, request.params.taskId);
      const cancelled = await queue.cancel(task.taskId);
      await auditRequest(system.audit, request, {
        action: 'task.cancel',
        resourceType: 'task',
        resourceId: task.taskId,
        details: { status: cancelled.status, cancelRequested: cancelled.cancelRequested },
      });
      return cancelled;
    },
  );

  app.get<{ Params: { taskId: string } }>(
    '/:taskId/executions',
    {
      config: { access: 'execution:view' },
      schema: {
        tags: ['tasks'],
        summary: 'Every attempt of a task, oldest first',
        params: taskIdParams,
        response: { 200: pageOf({ $ref: 'Execution#' }), ...errorResponses },
      },
    },
    async (request) => {
      const task = await visibleTask(system, request, request.params.taskId);
      const items = await queue.executions(task.taskId);
      return { items, total: items.length, limit: items.length, offset: 0 };
    },
  );
};
