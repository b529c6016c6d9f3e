import type { FastifyPluginAsync } from 'fastify';
import {
  THREAT_TYPES,
  type ThreatFilters,
  type ThreatSeverity,
  type ThreatType,
} from '../../repositories/securityThreats.js';
import type { System } from '../../system.js';
import { errorResponses, pageOf, pageQuery } from '../schemas/common.js';

/** What the threat detector found, and how the security hub is configured (`security:view`). */
export const threatRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  app.get<{
    Querystring: { type?: ThreatType; severity?: ThreatSeverity; ip?: string; limit: number; offset: number };
  }>(
    '/threats',
    {
      config: { access: 'security:view' },
      schema: {
        tags: ['security'],
        summary: 'Detected threats, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            type: { type: 'string', enum: THREAT_TYPES },
            severity: { type: 'string', enum: ['low', 'medium', 'high'] },
            ip: { type: 'string', maxLength: 45 },
            ...pageQuery,
          },
        },
        response: { 200: pageOf({ $ref: 'SecurityThreat#' }), ...errorResponses },
      },
    },
    (request) => {
      const { ip, ...rest } = request.query;
      const filters: ThreatFilters = { ...rest, ipAddress: ip };
      return system.repos.securityThreats.list(filters);
    },
  );

  app.get(
    '/status',
    {
      config: { access: 'security:view' },
      schema: {
        tags: ['security'],
        summary: 'Rate limits, lockout policy, password policy, sessions and threats of the last 24 h',
        response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses },
      },
    },
    () => system.security.status(),
  );
};
