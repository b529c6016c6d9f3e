/**
 * The live streams (SPEC §7, §12), both resumable with Last-Event-ID on any node:
 * - `GET /api/events`: every event the caller may see (a `user` only their own tasks');
 * - `GET /api/tasks/:taskId/stream`: one task's events — every delta so far, then live — ending
 *   after its terminal event.
 * Both read the event log (PostgreSQL), so ids are one space and any node can resume any stream.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { LoggedEvent } from '../../core/streams/eventLog.js';
import { follow, resumePoint } from '../../core/streams/follow.js';
import { hasPermission, seesAllTasks } from '../../security/permissions.js';
import type { System } from '../../system.js';
import { errorResponses } from '../schemas/common.js';
import { taskIdParams } from '../schemas/tasks.js';
import { OpenStreams, openSse } from '../sse.js';
import { parseTypes } from './events.js';
import { visibleTask } from './tasks.js';

const TERMINAL_EVENTS = new Set(['task:completed', 'task:failed', 'task:cancelled']);

function lastEventId(request: FastifyRequest, fromQuery?: string): string | undefined {
  const header = request.headers['last-event-id'];
  if (typeof header === 'string' && header.trim()) return header.trim();
  return fromQuery;
}

/** The envelope `/api/events` sends as data (as before the log: the bus event, id = seq). */
function envelope(event: LoggedEvent) {
  return {
    id: String(event.seq),
    type: event.type,
    payload: event.payload,
    ...(event.taskId ? { taskId: event.taskId } : {}),
    ownerId: event.ownerId,
    nodeId: event.nodeId,
    at: event.at,
  };
}

const resumeQuery = {
  lastEventId: {
    type: 'string',
    maxLength: 30,
    description: 'Resume after this event id (for clients that cannot send the Last-Event-ID header)',
  },
} as const;

export const streamRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  const streams = new OpenStreams(system.config.maxStreamsPerUser);
  // Open streams never end by themselves: close them so the server can shut down.
  app.addHook('preClose', async () => {
    for (const raw of streams.all) raw.end();
  });

  app.get<{ Querystring: { types?: string; taskId?: string; lastEventId?: string } }>(
    '/events',
    {
      config: { access: 'authenticated', stream: true },
      schema: {
        tags: ['events'],
        summary:
          'Event stream (text/event-stream); ?types=a,b (or prefix:*), ?taskId=; resumes after Last-Event-ID',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            types: { type: 'string', maxLength: 1000 },
            taskId: { type: 'string', minLength: 1, maxLength: 100 },
            ...resumeQuery,
          },
        },
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const types = parseTypes(request.query.types);
      const typeSet = types ? new Set<string>(types) : undefined;
      const { taskId } = request.query;
      const user = request.user;
      const ownOnly = user !== undefined && !seesAllTasks(user.role);
      // Threat reports name IPs and accounts: only for those who may read /api/security/threats.
      const seesSecurity = user === undefined || hasPermission(user.role, 'security:view');
      const resumeFrom = lastEventId(request, request.query.lastEventId);
      const start = resumeFrom !== undefined ? await resumePoint(system.eventLog, resumeFrom) : undefined;
      const sse = openSse(system, streams, request, reply);
      if (start?.reset)
        sse.send('stream:reset', { reason: 'unknown or expired event id', after: start.after });
      const follower = follow(system.eventLog, {
        after: start?.after,
        filter: { ownerId: ownOnly ? user.id : undefined, taskId },
        accept: (event) =>
          (!typeSet || typeSet.has(event.type)) &&
          (!taskId || event.taskId === taskId) &&
          (!ownOnly || (event.ownerId != null && event.ownerId === user.id)) &&
          (seesSecurity || !event.type.startsWith('security:')),
        send: (event) => sse.send(event.type, envelope(event), event.seq),
      });
      sse.onClose(() => follower.stop());
    },
  );

  app.get<{ Params: { taskId: string }; Querystring: { lastEventId?: string } }>(
    '/tasks/:taskId/stream',
    {
      config: { access: 'task:view', stream: true },
      schema: {
        tags: ['tasks'],
        summary:
          "A task's events (text/event-stream): every delta so far, then live, ending after the terminal event",
        params: taskIdParams,
        querystring: { type: 'object', additionalProperties: false, properties: resumeQuery },
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const task = await visibleTask(system, request, request.params.taskId);
      const resumeFrom = lastEventId(request, request.query.lastEventId);
      // Without an id: from the task's first kept event.
      const start = await resumePoint(system.eventLog, resumeFrom);
      const sse = openSse(system, streams, request, reply);
      if (resumeFrom !== undefined && start.reset) {
        sse.send('stream:reset', { reason: 'unknown or expired event id', after: start.after });
      }
      let ended = false;
      const follower = follow(system.eventLog, {
        after: start.after,
        filter: { taskId: task.taskId },
        accept: (event) => event.taskId === task.taskId && !ended,
        send: (event) => {
          sse.send(event.type, event.payload, event.seq);
          if (TERMINAL_EVENTS.has(event.type)) {
            ended = true;
            sse.end();
          }
        },
      });
      sse.onClose(() => follower.stop());
      // A task that finished before its events could be kept (or whose events expired) still ends.
      await follower.ready;
      if (!ended && !sse.closed) {
        const now = await system.queue.get(task.taskId);
        if (TERMINAL_EVENTS.has(`task:${now.status}`)) {
          await system.eventLog.flush();
          // Its terminal event may still be on its way through the log: give the tail a moment.
          setTimeout(() => {
            if (!ended) sse.end();
          }, 3_000).unref();
        }
      }
    },
  );
};
