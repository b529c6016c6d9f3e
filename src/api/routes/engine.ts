import type { FastifyPluginAsync } from 'fastify';
import type { System } from '../../system.js';
import { errorResponses } from '../schemas/common.js';

/** What the engine on this node is doing: components and their metrics (SPEC §5). */
export const engineRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  app.get(
    '/status',
    {
      config: { access: 'engine:view' },
      schema: {
        tags: ['engine'],
        summary: 'Engine state and components on this node',
        response: errorResponses,
      },
    },
    () => system.engine.getStatus(),
  );
  app.get(
    '/metrics',
    {
      config: { access: 'engine:view' },
      schema: {
        tags: ['engine'],
        summary: 'Queue (pending, running, throughput, latency percentiles, utilisation), agents, events',
        response: errorResponses,
      },
    },
    () => system.engine.getMetrics(),
  );
};
