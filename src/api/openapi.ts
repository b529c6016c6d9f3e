/**
 * The OpenAPI document (`/openapi.json`) made for client generators (SPEC §14), by central rules
 * so that a route with plain schemas complies without doing anything (docs/API.md "OpenAPI"):
 * - `operationId`: the route's `schema.operationId`, else derived from method and path
 *   (`GET /api/tasks/:taskId/executions` → `getTasksByTaskIdExecutions`);
 * - error answers: every operation documents the envelope for `4XX`, plus 400 when it takes
 *   input, 401 unless public, 403 when it needs a permission, 404 when its path has a parameter;
 * - `required`: every property a response schema lists is required, unless that schema declares
 *   its own `required` list (then the list is taken as is) — write `required` for optional fields;
 * - public routes have `security: []`; `servers` is `/`, the server the document came from.
 * Only the document changes: Fastify's validation and serialisation keep the route's schemas.
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import type { RouteAccess } from '../security/permissions.js';

const ERROR = { $ref: 'Error#' } as const;

/** `GET /api/tasks/:taskId/executions` → `getTasksByTaskIdExecutions`. */
export function deriveOperationId(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((s) => s && s !== 'api')
    .map((s) => (s.startsWith(':') ? `By${pascal(s.slice(1))}` : pascal(s)));
  return `${method.toLowerCase()}${words.join('')}`;
}

function pascal(segment: string): string {
  return segment
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

type Schema = Record<string, unknown>;

/** The error answers a route can give, from what it declares (input, access, path parameters). */
export function standardErrors(schema: Schema, access: RouteAccess | undefined, url: string): Schema {
  const errors: Schema = {
    '4xx': { ...ERROR, description: 'Any other client error, in the error envelope' },
  };
  if (schema.body || schema.querystring || schema.params || url.includes(':')) {
    errors[400] = { ...ERROR, description: 'Invalid input (the message names the field)' };
  }
  if (access && access !== 'public') {
    errors[401] = { ...ERROR, description: 'Not authenticated' };
    errors[429] = { ...ERROR, description: 'Rate limited (see Retry-After)' };
  }
  if (access && access !== 'public' && access !== 'authenticated') {
    errors[403] = { ...ERROR, description: 'Lacks the permission' };
  }
  if (url.includes(':')) errors[404] = { ...ERROR, description: 'Not found, or not visible to the caller' };
  return errors;
}

interface RouteInfo {
  schema?: Schema;
  url: string;
  route: { method: string | string[]; config?: { access?: RouteAccess } };
}

function transform({ schema = {}, url, route }: RouteInfo) {
  if (schema.hide) return { schema, url };
  const method = [route.method].flat()[0];
  const declared = (schema.response ?? {}) as Schema;
  const hasSuccess = Object.keys(declared).some((code) => /^(2|3)/.test(code) || code === 'default');
  const response: Schema = {
    ...(hasSuccess ? {} : { 200: { description: 'Success' } }),
    ...standardErrors(schema, route.config?.access, url),
    ...declared,
  };
  return {
    url,
    schema: {
      ...schema,
      operationId: schema.operationId ?? deriveOperationId(method, url),
      ...(route.config?.access === 'public' ? { security: [] } : {}),
      response,
    },
  };
}

/** Marks every listed property required in an object schema without its own `required`, recursively. */
export function requireListedProperties(node: unknown, seen = new Set<unknown>()): void {
  if (!node || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  if (Array.isArray(node)) {
    for (const child of node) requireListedProperties(child, seen);
    return;
  }
  const schema = node as Schema;
  const props = schema.properties as Schema | undefined;
  if (props && typeof props === 'object' && !Array.isArray(props) && !schema.required) {
    const names = Object.keys(props);
    if (names.length) schema.required = names;
  }
  for (const key of [
    'properties',
    'items',
    'anyOf',
    'oneOf',
    'allOf',
    'additionalProperties',
    'content',
    'schema',
  ]) {
    const child = schema[key];
    if (key === 'properties' || key === 'content') {
      if (child && typeof child === 'object')
        for (const v of Object.values(child)) requireListedProperties(v, seen);
    } else requireListedProperties(child, seen);
  }
}

interface OpenApiDocument {
  components?: { schemas?: Record<string, unknown> };
  paths?: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
}

function transformObject({ openapiObject }: { openapiObject: unknown }) {
  // A copy: the document may share objects with the routes' schemas, which must stay as written.
  const doc = structuredClone(openapiObject) as OpenApiDocument;
  // Shared schemas ($id: Task, Agent…) are the answers' shapes; request bodies are inline.
  for (const component of Object.values(doc.components?.schemas ?? {})) requireListedProperties(component);
  for (const item of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(item)) requireListedProperties(op.responses);
  }
  return doc;
}

export async function registerOpenApi(app: FastifyInstance, info: { version: string }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'BSM-AgentOS API',
        version: info.version,
        description: 'Control plane for AI agents',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      // Relative to where the document was fetched: right for every node and behind any proxy.
      servers: [{ url: '/', description: 'The server this document was fetched from' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT or bsm_ API key' },
        },
      },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transform: transform as never,
    transformObject: transformObject as never,
  });
  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, () => app.swagger());
}
