import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { User } from '../domain.js';
import type { RouteAccess } from '../security/permissions.js';
import type { System } from '../system.js';
import { errorBody, handleError } from './errorHandler.js';
import { agentRunRoutes } from './routes/agentRun.js';
import { agentRoutes } from './routes/agents.js';
import { engineRoutes } from './routes/engine.js';
import { healthRoutes } from './routes/health.js';
import { modelRoutes } from './routes/models.js';
import { taskRoutes } from './routes/tasks.js';
import { agentSchema } from './schemas/agents.js';
import { errorSchema } from './schemas/common.js';
import { modelSchema } from './schemas/models.js';
import { executionSchema, taskSchema } from './schemas/tasks.js';
import { validatorCompiler } from './validation.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route requires. Every route must declare it: buildApp refuses a route without. */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** The authenticated caller, when there is one. */
    user?: User;
  }
}

/**
 * Checks a request against its route's declared access before the handler runs. The security hub
 * provides it; it throws an AppError (401/403/429) to refuse.
 */
export type Guard = (request: FastifyRequest, access: RouteAccess) => Promise<void>;

export interface AppOptions {
  guard?: Guard;
  /** Extra route plugins mounted under their prefix (engine, security… register here). */
  plugins?: Array<{ prefix: string; plugin: (app: FastifyInstance) => Promise<void> }>;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

export async function buildApp(system: System, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = system;
  const app = Fastify({
    // pino's Logger is a superset of Fastify's logger type; the cast only narrows the generic.
    loggerInstance: system.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    requestIdHeader: false,
    // A caller's own request id is kept when it is well-formed, so it can correlate logs.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`)),
  );

  // JSON only: Fastify's text/plain parser goes, so any other content type is a 415.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs') || route.url === '/openapi.json') {
      route.config = { ...route.config, access: 'public' };
      return;
    }
    if (!route.config?.access) throw new Error(`Route ${route.method} ${route.url} declares no access`);
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    const access = request.routeOptions.config.access;
    if (access && options.guard) await options.guard(request, access);
  });

  await app.register(helmet, {
    // The API serves JSON; the only HTML is /docs (Swagger UI), which needs its own inline assets.
    contentSecurityPolicy: false,
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'BSM-AgentOS API', version: '0.1.0', description: 'Control plane for AI agents' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.addSchema(errorSchema);
  app.addSchema(agentSchema);
  app.addSchema(modelSchema);
  app.addSchema(taskSchema);
  app.addSchema(executionSchema);

  await app.register(healthRoutes, { system });
  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, () => app.swagger());
  await app.register(agentRoutes, { prefix: '/api/agents', system });
  await app.register(modelRoutes, { prefix: '/api/models', system });
  await app.register(agentRunRoutes, { prefix: '/api/agents', system });
  await app.register(taskRoutes, { prefix: '/api/tasks', system });
  await app.register(engineRoutes, { prefix: '/api/engine', system });
  for (const { prefix, plugin } of options.plugins ?? []) await app.register(plugin, { prefix });
  return app;
}
