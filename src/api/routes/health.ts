import type { FastifyPluginAsync } from 'fastify';
import type { System } from '../../system.js';

/** Liveness and readiness. Readiness names each dependency and how it answered. */
export const healthRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  app.get(
    '/health',
    {
      config: { access: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Liveness',
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/ready',
    {
      config: { access: 'public' },
      schema: { tags: ['health'], summary: 'Readiness: 503 naming the failed dependency' },
    },
    async (_request, reply) => {
      const results = await Promise.all(
        system.readiness.map(async ({ name, critical, check }) => {
          try {
            await withTimeout(check(), 2_000);
            return { name, critical, status: 'ok' as const };
          } catch (error) {
            return {
              name,
              critical,
              status: critical ? ('down' as const) : ('degraded' as const),
              error: String((error as Error).message ?? error),
            };
          }
        }),
      );
      const failed = results.filter((r) => r.status === 'down');
      const checks = Object.fromEntries(results.map((r) => [r.name, r.status]));
      if (failed.length) {
        return reply.status(503).send({
          error: {
            code: 'SERVICE_UNAVAILABLE',
            message: `Not ready: ${failed.map((f) => f.name).join(', ')} not answering`,
            details: { checks },
          },
        });
      }
      return { status: results.some((r) => r.status === 'degraded') ? 'degraded' : 'ready', checks };
    },
  );
};

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
