import type { FastifyPluginAsync } from 'fastify';
import type { System } from '../../system.js';
import { auditRequest } from '../audit.js';
import { errorResponses } from '../schemas/common.js';

const apiKeyRef = { $ref: 'ApiKey#' } as const;
const uuidParam = { type: 'string', maxLength: 36 } as const;

/**
 * Another user's API keys, for admins (`user:manage`): list them (never their values) and revoke
 * one — e.g. a key that leaked, or that belongs to someone who left.
 */
export const userApiKeyRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  const { repos, security, audit } = system;

  app.get<{ Params: { id: string } }>(
    '/:id/api-keys',
    {
      config: { access: 'user:manage' },
      schema: {
        tags: ['users'],
        summary: "A user's API keys, revoked and expired ones included (never their values)",
        params: { type: 'object', properties: { id: uuidParam }, required: ['id'] },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: apiKeyRef } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const user = await repos.users.findById(request.params.id); // 404 for an unknown user
      return { items: await security.apiKeys.list(user.id) };
    },
  );

  app.delete<{ Params: { id: string; keyId: string } }>(
    '/:id/api-keys/:keyId',
    {
      config: { access: 'user:manage' },
      schema: {
        tags: ['users'],
        summary: "Revoke one of a user's API keys",
        params: {
          type: 'object',
          properties: { id: uuidParam, keyId: uuidParam },
          required: ['id', 'keyId'],
        },
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id, keyId } = request.params;
      await security.apiKeys.revoke(id, keyId);
      await auditRequest(audit, request, {
        action: 'api_key.revoke',
        resourceType: 'api_key',
        resourceId: keyId,
        details: { ownerId: id },
      });
      return reply.status(204).send();
    },
  );
};
