import { randomUUID, timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { TrustProxy } from '../config.js';
import type { User } from '../domain.js';
import type { RouteAccess } from '../security/permissions.js';
import type { System } from '../system.js';
import { consoleRoutes } from './console.js';
import { errorBody, handleError } from './errorHandler.js';
import { registerOpenApi } from './openapi.js';
import { API_CONTENT_SECURITY_POLICY, refuseNulCharacters, routerError } from './requestGuards.js';
import { RequestLogController, requestLoggerFactory } from './requestLog.js';
import { agentRunRoutes } from './routes/agentRun.js';
import { agentRoutes } from './routes/agents.js';
import { approvalRoutes } from './routes/approvals.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { complianceRoutes } from './routes/compliance.js';
import { engineRoutes } from './routes/engine.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { modelRoutes } from './routes/models.js';
import { scheduleRoutes } from './routes/schedules.js';
import { secretRoutes } from './routes/secrets.js';
import { streamRoutes } from './routes/streams.js';
import { taskRetryRoutes } from './routes/taskRetry.js';
import { taskRoutes } from './routes/tasks.js';
import { threadRoutes } from './routes/threads.js';
import { threatRoutes } from './routes/threats.js';
import { usageRoutes } from './routes/usage.js';
import { userApiKeyRoutes } from './routes/userApiKeys.js';
import { userRoutes } from './routes/users.js';
import { workflowRunListRoutes } from './routes/workflowRunList.js';
import { workflowRoutes } from './routes/workflows.js';
import { agentSchema } from './schemas/agents.js';
import { approvalSchema } from './schemas/approvals.js';
import { auditLogSchema } from './schemas/audit.js';
import { errorSchema } from './schemas/common.js';
import { modelSchema } from './schemas/models.js';
import { scheduleFireSchema, scheduleSchema } from './schemas/schedules.js';
import { secretInfoSchema } from './schemas/secrets.js';
import { executionSchema, taskSchema } from './schemas/tasks.js';
import { apiKeySchema, threatSchema, userSchema } from './schemas/users.js';
import { workflowRunSchema, workflowSchema } from './schemas/workflows.js';
import { SECURITY_HEADERS } from './securityHeaders.js';
import { registerHttpTracing } from './tracing.js';
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

/**
 * BSM_TRUST_PROXY as Fastify takes it. A hop count becomes "the nearest N addresses" (Fastify's own
 * number form trusts nothing); an address list is compiled by Fastify. Never `true`: trusting every
 * hop lets a client write its own address into X-Forwarded-For.
 */
function proxyTrust(trust: TrustProxy): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return trust;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

export async function buildApp(system: System, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = system;
  const guard = options.guard === undefined ? system.security.guard : options.guard;
  const app = Fastify({
    // pino's Logger is a superset of Fastify's logger type; the cast only narrows the generic.
    loggerInstance: system.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: proxyTrust(config.trustProxy),
    requestIdHeader: false,
    // A caller's own request id is kept when it is well-formed, so it can correlate logs.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false } },
    // The router's own refusals (bad URL, over-long parameter) leave in the envelope too.
    frameworkErrors: routerError,
    // One line per request, written when it ends (requestLog.ts), instead of Fastify's two.
    logController: new RequestLogController(),
    // …through a request logger made when first used (requestLog.ts), not on every request.
    childLoggerFactory: requestLoggerFactory,
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

  // Security headers go on in an onRequest hook before the guard's, so its refusals carry them too.
  // helmet's set, computed once (securityHeaders.ts). The API serves JSON; the only HTML is /docs
  // (Swagger UI) and the console, with policies of their own; JSON answers get a deny-all policy
  // in the onSend hook below.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    done();
  });

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
    // Every declared route has an access; none means no route matched. An unknown route is public
    // and 404s, but still counts against the caller's per-IP rate limit.
    if (guard) await guard(request, access ?? 'public');
  });
  app.addHook('preValidation', refuseNulCharacters);
  // Injection patterns are looked for once the body is parsed; they flag, never block. The body of
  // an unknown route is never scanned (nobody reads it).
  app.addHook('preHandler', async (request) => {
    if (guard && request.routeOptions.config.access) await system.security.inspect(request);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    system.metrics.httpRequests.inc({ method: request.method, route, status: reply.statusCode });
    system.metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
  registerHttpTracing(app);

  // API answers may carry audit rows or secret metadata: no shared or browser cache keeps them.
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control')) {
      reply.header('cache-control', 'no-store');
    }
    // JSON loads nothing and is never framed; /docs (HTML) keeps its own policy.
    const isJson = String(reply.getHeader('content-type') ?? '').startsWith('application/json');
    if (isJson && !reply.hasHeader('content-security-policy')) {
      reply.header('content-security-policy', API_CONTENT_SECURITY_POLICY);
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
  await registerOpenApi(app, { version: '0.1.0' });
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
  app.addSchema(scheduleSchema);
  app.addSchema(scheduleFireSchema);
  app.addSchema(approvalSchema);

  await app.register(healthRoutes, { system });
  await app.register(metricsRoutes, { system });
  await app.register(authRoutes, { prefix: '/api/auth', system });
  await app.register(userRoutes, { prefix: '/api/users', system });
  await app.register(userApiKeyRoutes, { prefix: '/api/users', system });
  await app.register(threatRoutes, { prefix: '/api/security', system });
  await app.register(agentRoutes, { prefix: '/api/agents', system });
  await app.register(modelRoutes, { prefix: '/api/models', system });
  await app.register(streamRoutes, { prefix: '/api', system });
  await app.register(auditRoutes, { prefix: '/api/audit', system });
  await app.register(secretRoutes, { prefix: '/api/secrets', system });
  await app.register(complianceRoutes, { prefix: '/api/security', system });
  await app.register(workflowRoutes, { prefix: '/api', system });
  await app.register(workflowRunListRoutes, { prefix: '/api', system });
  await app.register(agentRunRoutes, { prefix: '/api/agents', system });
  await app.register(taskRoutes, { prefix: '/api/tasks', system });
  await app.register(taskRetryRoutes, { prefix: '/api/tasks', system });
  await app.register(threadRoutes, { prefix: '/api/threads', system });
  await app.register(engineRoutes, { prefix: '/api/engine', system });
  await app.register(consoleRoutes);
  await app.register(usageRoutes, { prefix: '/api/usage', system });
  await app.register(scheduleRoutes, { prefix: '/api/schedules', system });
  await app.register(approvalRoutes, { prefix: '/api/approvals', system });
  for (const { prefix, plugin } of options.plugins ?? []) await app.register(plugin, { prefix });
  return app;
}
