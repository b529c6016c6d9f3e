import type { FastifyPluginAsync } from 'fastify';
import type { MultitaskPolicy } from '../../core/threads/threads.js';
import type { System } from '../../system.js';
import { auditRequest } from '../audit.js';
import { errorResponses, pageOf, pageQuery } from '../schemas/common.js';
import {
  threadCreateBody,
  threadIdParams,
  threadMessageBody,
  threadSchema,
  threadWithMessagesSchema,
} from '../schemas/threads.js';
import { ownerScope } from './tasks.js';

/**
 * Threads (SPEC §12). Ownership as for tasks: a `user` sees and acts on their own threads only
 * (another's is 404); a viewer reads every thread and changes nothing (403 from the guard).
 */
export const threadRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  const { threads } = system;
  const repo = system.repos.threads;
  // The response schemas name what leaves: the agent's UUID (`agentUuid`) stays inside.

  app.post<{ Body: { agentId: string; metadata?: Record<string, unknown> } }>(
    '',
    {
      config: { access: 'task:create' },
      schema: {
        tags: ['threads'],
        summary: 'Start a conversation with an agent',
        body: threadCreateBody,
        response: { 201: threadSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const thread = await threads.create({ ...request.body, createdBy: request.user?.id ?? null });
      await auditRequest(system.audit, request, {
        action: 'thread.create',
        resourceType: 'thread',
        resourceId: thread.threadId,
        details: { agentId: request.body.agentId },
      });
      return reply.status(201).send(thread);
    },
  );

  app.get<{ Querystring: { limit: number; offset: number } }>(
    '',
    {
      config: { access: 'task:view' },
      schema: {
        tags: ['threads'],
        summary: 'List threads, most recently active first (a user sees only their own)',
        querystring: { type: 'object', additionalProperties: false, properties: pageQuery },
        response: { 200: pageOf(threadSchema), ...errorResponses },
      },
    },
    (request) => repo.list({ ...request.query, createdBy: ownerScope(request) }),
  );

  app.get<{ Params: { threadId: string } }>(
    '/:threadId',
    {
      config: { access: 'task:view' },
      schema: {
        tags: ['threads'],
        summary: 'A thread with its messages (completed turns, in order)',
        params: threadIdParams,
        response: { 200: threadWithMessagesSchema, ...errorResponses },
      },
    },
    async (request) => {
      const thread = await repo.find(request.params.threadId, ownerScope(request));
      return { ...thread, messages: await repo.messages(thread.threadId) };
    },
  );

  app.delete<{ Params: { threadId: string } }>(
    '/:threadId',
    {
      config: { access: 'task:create' },
      schema: {
        tags: ['threads'],
        summary: 'Delete a thread and its messages (its active runs are cancelled)',
        params: threadIdParams,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await threads.delete(request.params.threadId, ownerScope(request));
      await auditRequest(system.audit, request, {
        action: 'thread.delete',
        resourceType: 'thread',
        resourceId: request.params.threadId,
      });
      return reply.status(204).send();
    },
  );

  app.post<{ Params: { threadId: string }; Body: { content: string; multitask?: MultitaskPolicy } }>(
    '/:threadId/messages',
    {
      config: { access: 'task:create' },
      schema: {
        tags: ['threads'],
        summary:
          'Send a message: 202 with the task that answers it (multitask: reject → 409 THREAD_BUSY, enqueue, interrupt)',
        params: threadIdParams,
        body: threadMessageBody,
        response: { 202: { $ref: 'Task#' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { task, cancelled } = await threads.send({
        threadId: request.params.threadId,
        content: request.body.content,
        multitask: request.body.multitask,
        createdBy: request.user?.id ?? null,
        owner: ownerScope(request),
      });
      await auditRequest(system.audit, request, {
        action: 'thread.message',
        resourceType: 'thread',
        resourceId: request.params.threadId,
        details: { taskId: task.taskId, multitask: request.body.multitask ?? 'reject', cancelled },
      });
      return reply.status(202).send(task);
    },
  );
};
