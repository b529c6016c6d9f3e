import type { FastifyPluginAsync } from 'fastify';
import type { System } from '../../system.js';

/**
 * `GET /metrics`: Prometheus text. Access: `engine:view`, or `Authorization: Bearer $METRICS_TOKEN`
 * for scrapers (checked in app.ts before the guard).
 */
export const metricsRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  app.get(
    '/metrics',
    {
      config: { access: 'engine:view', metricsTokenAccepted: true },
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics: HTTP, queue, cache, events, security (docs/OBSERVABILITY.md)',
      },
    },
    async (_request, reply) => {
      const text = await system.metrics.prometheus();
      return reply.type(system.metrics.contentType).send(text);
    },
  );
};
