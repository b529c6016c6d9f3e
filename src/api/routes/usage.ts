import type { FastifyPluginAsync } from 'fastify';
import { validation } from '../../errors.js';
import { USAGE_GROUPS, type UsageGroup } from '../../repositories/usage.js';
import type { System } from '../../system.js';
import { errorResponses } from '../schemas/common.js';
import { ownerScope } from './tasks.js';

const DAY_MS = 86_400_000;
/** Default window: the last 30 days. Longer ranges are allowed; the created_at index bounds the read. */
const DEFAULT_RANGE_MS = 30 * DAY_MS;

const usageItem = {
  type: 'object',
  properties: {
    key: { type: ['string', 'null'] },
    tasks: { type: 'integer' },
    inputTokens: { type: 'integer' },
    outputTokens: { type: 'integer' },
    costUsd: { type: 'number' },
  },
  required: ['key', 'tasks', 'inputTokens', 'outputTokens', 'costUsd'],
} as const;

/** `GET /api/usage` (SPEC §14): tokens, cost and tasks; a `user` sees only their own tasks' usage. */
export const usageRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  app.get<{ Querystring: { groupBy: UsageGroup; from?: string; to?: string } }>(
    '',
    {
      config: { access: 'usage:view' },
      schema: {
        tags: ['usage'],
        summary: 'Tokens, cost (USD) and tasks in [from, to), grouped by agent, user, model or UTC day',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            groupBy: { type: 'string', enum: USAGE_GROUPS, default: 'agent' },
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: usageItem },
              from: { type: 'string', format: 'date-time' },
              to: { type: 'string', format: 'date-time' },
            },
            required: ['items', 'from', 'to'],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { groupBy, from: fromText, to: toText } = request.query;
      const to = toText ? new Date(toText) : new Date();
      const from = fromText ? new Date(fromText) : new Date(to.getTime() - DEFAULT_RANGE_MS);
      if (from.getTime() > to.getTime()) throw validation('from must not be after to', { field: 'from' });
      const items = await system.repos.usage.summarise(groupBy, from, to, ownerScope(request));
      return { items, from: from.toISOString(), to: to.toISOString() };
    },
  );
};
