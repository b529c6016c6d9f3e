import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import { type BusEvent, EVENT_TYPES, type EventType } from '../../core/events.js';
import { validation } from '../../errors.js';
import { hasPermission, seesAllTasks } from '../../security/permissions.js';
import type { System } from '../../system.js';

/** Comment line sent when nothing else was, so proxies and clients keep the stream open. */
export const HEARTBEAT_MS = 15_000;

/** `task:completed,workflow:*` → the concrete event types; unknown names are a 400. */
export function parseTypes(raw: string | undefined): EventType[] | undefined {
  if (!raw?.trim()) return undefined;
  const types = new Set<EventType>();
  for (const name of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const matches = name.endsWith('*')
      ? EVENT_TYPES.filter((t) => t.startsWith(name.slice(0, -1)))
      : EVENT_TYPES.filter((t) => t === name);
    if (!matches.length) throw validation(`Unknown event type: ${name}`, { field: 'types' });
    for (const t of matches) types.add(t);
  }
  return [...types];
}

/**
 * `GET /api/events`: Server-Sent Events from this node's bus, which (with Redis) also carries every
 * other node's events. A caller who may only see their own tasks gets only events they own.
 */
export const eventRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  // Open streams never end by themselves: close them so the server can shut down.
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const raw of open) raw.end();
  });
  app.get<{ Querystring: { types?: string; taskId?: string } }>(
    '',
    {
      config: { access: 'authenticated', stream: true },
      schema: {
        tags: ['events'],
        summary: 'Live event stream (text/event-stream); filter with ?types=a,b (or prefix:*) and ?taskId=',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            types: { type: 'string', maxLength: 1000 },
            taskId: { type: 'string', minLength: 1, maxLength: 100 },
          },
        },
      },
    },
    async (request, reply) => {
      const types = parseTypes(request.query.types);
      const { taskId } = request.query;
      const user = request.user;
      const ownOnly = user !== undefined && !seesAllTasks(user.role);
      // Threat reports name IPs and accounts: only for those who may read /api/security/threats.
      const seesSecurity = user === undefined || hasPermission(user.role, 'security:view');
      const visible = (event: BusEvent) =>
        (!taskId || event.taskId === taskId) &&
        (!ownOnly || (event.ownerId != null && event.ownerId === user.id)) &&
        (seesSecurity || !event.type.startsWith('security:'));

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
        'x-content-type-options': 'nosniff',
      });
      raw.write(': connected\n\n');
      const unsubscribe = system.events.subscribe((event) => {
        if (!visible(event)) return;
        raw.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      }, types);
      const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), HEARTBEAT_MS);
      open.add(raw);
      const cleanUp = () => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(raw);
      };
      request.raw.once('close', cleanUp);
      raw.once('close', cleanUp);
    },
  );
};
