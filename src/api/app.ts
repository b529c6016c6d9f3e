import { randomUUID, timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
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
import { approvalRoutes } from './routes/approvals.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { complianceRoutes } from './routes/compliance.js';
import { engineRoutes } from './routes/engine.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { modelRoutes } from './routes/models.js';
import { secretRoutes } from './routes/secrets.js';
import { taskRoutes } from './routes/tasks.js';
import { threatRoutes } from './routes/threats.js';
import { userRoutes } from './routes/users.js';
import { workflowRoutes } from './routes/workflows.js';
import { agentSchema } from './schemas/agents.js';
import { approvalSchema } from './schemas/approvals.js';
import { auditLogSchema } from './schemas/audit.js';
import { errorSchema } from './schemas/common.js';
import { modelSchema } from './schemas/models.js';
import { secretInfoSchema } from './schemas/secrets.js';
import { executionSchema, taskSchema } from './schemas/tasks.js';
import { apiKeySchema, threatSchema, userSchema } from './schemas/users.js';
import { workflowRunSchema, workflowSchema } from './schemas/workflows.js';
import { validatorCompiler } from './validation.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route requires. Every route must declare it: buildApp refuses a route without. */
    access?: RouteAccess;
    /** `GET /metrics` also accepts `Authorization: Bearer $METRICS_TOKEN` instead of a user. */
    metricsTokenAccepted?: boolean;
    /** The route answers with a stream that stays open (SSE). */
    stream?: boolean;
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
  /**
   * Default: the security hub's guard (authentication, RBAC, rate limits). `false` turns every
   * check off — only for tests that are about something else.
   */
  guard?: Guard | false;
  /** Extra route plugins mounted under their prefix (engine, security… register here). */
  plugins?: Array<{ prefix: string; plugin: (app: FastifyInstance) => Promise<void> }>;
}

function bearerMatches(header: string | undefined, token: string | undefined): boolean {
  if (!token || !header?.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface RouteEntry {
  method: string;
  url: string;
  access: RouteAccess;
  /** The answer is a stream that stays open (Server-Sent Events). */
  stream: boolean;
}

const ROUTE_TABLES = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every route the app registered, with its declared access (the security tests walk this). */
export function registeredRoutes(app: FastifyInstance): readonly RouteEntry[] {
  return ROUTE_TABLES.get(app) ?? [];
}

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

export async function buildApp(system: System, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = system;
  const guard = options.guard === undefined ? system.security.guard : options.guard;
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

  // Parses the `token` cookie, one of the three places a credential may come from (seed). Its
  // onRequest hook must run before the guard's, so it registers first.
  await app.register(cookie);

  const routeTable: RouteEntry[] = [];
  ROUTE_TABLES.set(app, routeTable);
  app.addHook('onRoute', (route) => {
    // The CORS preflight route (@fastify/cors, only when BSM_CORS_ORIGINS is set) answers browsers
    // before they send credentials, so it is public by nature.
    const corsPreflight = route.method === 'OPTIONS' && route.url === '*';
    if (route.url.startsWith('/docs') || route.url === '/openapi.json' || corsPreflight) {
      route.config = { ...route.config, access: 'public' };
    }
    const access = route.config?.access;
    if (!access) throw new Error(`Route ${route.method} ${route.url} declares no access`);
    const stream = route.config?.stream === true;
    for (const method of [route.method].flat()) routeTable.push({ method, url: route.url, access, stream });
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    const { access, metricsTokenAccepted } = request.routeOptions.config;
    if (metricsTokenAccepted && bearerMatches(request.headers.authorization, config.metricsToken)) return;
    if (access && guard) await guard(request, access);
  });
  // Injection patterns are looked for once the body is parsed; they flag, never block.
  app.addHook('preHandler', async (request) => {
    if (guard) await system.security.inspect(request);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    system.metrics.httpRequests.inc({ method: request.method, route, status: reply.statusCode });
    system.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  await app.register(helmet, {
    // The API serves JSON; the only HTML is /docs (Swagger UI), which needs its own inline assets.
    contentSecurityPolicy: false,
  });
  // API answers may carry audit rows or secret metadata: no shared or browser cache keeps them.
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control')) {
      reply.header('cache-control', 'no-store');
    }
  });
  // CORS stays off (no Access-Control-* headers, preflights 404) unless origins are configured.
  if (config.corsOrigins.length) {
    const anyOrigin = config.corsOrigins.includes('*');
    await app.register(cors, {
      origin: anyOrigin ? '*' : config.corsOrigins,
      // Cookies and Authorization only for origins named one by one, never for "*".
      credentials: !anyOrigin,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'x-auth-token', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'retry-after'],
      maxAge: 600,
    });
  }
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
  app.addSchema(auditLogSchema);
  app.addSchema(secretInfoSchema);
  app.addSchema(workflowSchema);
  app.addSchema(workflowRunSchema);
  app.addSchema(userSchema);
  app.addSchema(apiKeySchema);
  app.addSchema(threatSchema);
  app.addSchema(taskSchema);
  app.addSchema(executionSchema);
  app.addSchema(approvalSchema);

  await app.register(healthRoutes, { system });
  await app.register(metricsRoutes, { system });
  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, () => app.swagger());
  await app.register(authRoutes, { prefix: '/api/auth', system });
  await app.register(userRoutes, { prefix: '/api/users', system });
  await app.register(threatRoutes, { prefix: '/api/security', system });
  await app.register(agentRoutes, { prefix: '/api/agents', system });
  await app.register(modelRoutes, { prefix: '/api/models', system });
  await app.register(eventRoutes, { prefix: '/api/events', system });
  await app.register(auditRoutes, { prefix: '/api/audit', system });
  await app.register(secretRoutes, { prefix: '/api/secrets', system });
  await app.register(complianceRoutes, { prefix: '/api/security', system });
  await app.register(workflowRoutes, { prefix: '/api', system });
  await app.register(agentRunRoutes, { prefix: '/api/agents', system });
  await app.register(taskRoutes, { prefix: '/api/tasks', system });
  await app.register(engineRoutes, { prefix: '/api/engine', system });
  await app.register(approvalRoutes, { prefix: '/api/approvals', system });
  for (const { prefix, plugin } of options.plugins ?? []) await app.register(plugin, { prefix });
  return app;
}
