import type { FastifyPluginAsync } from 'fastify';
import type { System } from '../../system.js';
import { errorResponses } from '../schemas/common.js';

const reportSchema = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    passed: { type: 'integer' },
    failed: { type: 'integer' },
    checks: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'string', enum: ['pass', 'fail'] },
          detail: { type: 'string' },
          advice: { type: 'string' },
        },
        required: ['id', 'title', 'status', 'detail'],
      },
    },
  },
  required: ['ok', 'passed', 'failed', 'checks'],
} as const;

/** `GET /api/security/compliance` (mounted under /api/security beside the hub's status/threats). */
export const complianceRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  app.get(
    '/compliance',
    {
      config: { access: 'security:view' },
      schema: {
        tags: ['security'],
        summary: 'Compliance checks with pass/fail and advice',
        response: { 200: reportSchema, ...errorResponses },
      },
    },
    () => system.compliance.run(),
  );
};
