import type { FastifyPluginAsync } from 'fastify';
import type { System } from '../../system.js';
import { auditRequest } from '../audit.js';
import { errorResponses } from '../schemas/common.js';
import { taskIdParams } from '../schemas/tasks.js';
import { ownerScope, visibleTask } from './tasks.js';

interface BulkRetryBody {
  status: 'failed' | 'cancelled';
  agentId?: string;
  from?: string;
  to?: string;
}

const bulkRetryBody = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['failed', 'cancelled'] },
    agentId: { type: 'string', minLength: 1, maxLength: 100 },
    from: { type: 'string', format: 'date-time', description: 'created at or after' },
    to: { type: 'string', format: 'date-time', description: 'created before' },
  },
} as const;

/** Retry is public API (SPEC §13): one task, or every matching task the caller may see. */
export const taskRetryRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  const { queue } = system;

  app.post<{ Body: BulkRetryBody }>(
    '/retry',
    {
      config: { access: 'task:create' },
      schema: {
        tags: ['tasks'],
        summary: 'Put every failed (or cancelled) task you may see that matches back in the queue',
        body: bulkRetryBody,
        response: {
          200: { type: 'object', properties: { retried: { type: 'integer' } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const retried = await queue.retryMatching({ ...request.body, createdBy: ownerScope(request) });
      await auditRequest(system.audit, request, {
        action: 'task.retry_bulk',
        resourceType: 'task',
        resourceId: null,
        details: { ...request.body, retried },
      });
      return { retried };
    },
  );

  app.post<{ Params: { taskId: string } }>(
    '/:taskId/retry',
    {
      config: { access: 'task:create' },
      schema: {
        tags: ['tasks'],
        summary:
          'Put a failed or cancelled task back in the queue with a fresh attempt budget (409 otherwise)',
        params: taskIdParams,
        response: { 200: { $ref: 'Task#' }, ...errorResponses },
      },
    },
    async (request) => {
      const task = await visibleTask(system, request, request.params.taskId);
      const retried = await queue.retry(task.taskId);
      await auditRequest(system.audit, request, {
        action: 'task.retry',
        resourceType: 'task',
        resourceId: task.taskId,
        details: { previousStatus: task.status },
      });
      return retried;
    },
  );
};
