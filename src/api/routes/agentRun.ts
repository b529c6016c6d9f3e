import type { FastifyPluginAsync } from 'fastify';
import type { TaskInput } from '../../core/providers/types.js';
import { TERMINAL_TASK_STATUSES } from '../../domain.js';
import type { System } from '../../system.js';
import { auditRequest } from '../audit.js';
import { errorResponses, handleParam } from '../schemas/common.js';
import { agentRunBody } from '../schemas/tasks.js';
import { MAX_WAIT_SECONDS } from './tasks.js';

const params = { type: 'object', properties: { agentId: handleParam }, required: ['agentId'] } as const;

/** `POST /api/agents/:agentId/run`: queue a task and wait (≤ 60 s) for it — a synchronous call. */
export const agentRunRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  app.post<{ Params: { agentId: string }; Body: { input: TaskInput; timeoutSeconds?: number } }>(
    '/:agentId/run',
    {
      config: { access: 'agent:run' },
      schema: {
        tags: ['agents'],
        summary: 'Run an agent: 200 with the finished task, or 202 with it if still running after 60 s',
        params,
        body: agentRunBody,
        response: { 200: { $ref: 'Task#' }, 202: { $ref: 'Task#' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { task } = await system.queue.submit({
        agentId: request.params.agentId,
        input: request.body.input,
        timeoutSeconds: request.body.timeoutSeconds,
        createdBy: request.user?.id ?? null,
      });
      await auditRequest(system.audit, request, {
        action: 'agent.run',
        resourceType: 'agent',
        resourceId: request.params.agentId,
        details: { taskId: task.taskId },
      });
      const done = await system.queue.waitForTask(task.taskId, MAX_WAIT_SECONDS * 1000);
      return reply.status(TERMINAL_TASK_STATUSES.includes(done.status) ? 200 : 202).send(done);
    },
  );
};
