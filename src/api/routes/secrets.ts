import type { FastifyPluginAsync } from 'fastify';
import type { System } from '../../system.js';
import { auditRequest } from '../audit.js';
import { errorResponses, pageOf, pageQuery } from '../schemas/common.js';
import { secretParams, secretPutBody } from '../schemas/secrets.js';

const infoRef = { $ref: 'SecretInfo#' } as const;

/**
 * The secrets vault (SPEC §7). Values go in through PUT and never come out over HTTP: the list has
 * names and dates only, and the audit rows record who changed which secret, not to what.
 */
export const secretRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  const { vault } = system;

  app.get<{ Querystring: { limit: number; offset: number } }>(
    '',
    {
      config: { access: 'secret:manage' },
      schema: {
        tags: ['secrets'],
        summary: 'List secret names and dates (never values)',
        querystring: { type: 'object', additionalProperties: false, properties: pageQuery },
        response: { 200: pageOf(infoRef), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, offset } = request.query;
      const all = await vault.list();
      return { items: all.slice(offset, offset + limit), total: all.length, limit, offset };
    },
  );

  app.put<{ Params: { name: string }; Body: { value: string } }>(
    '/:name',
    {
      config: { access: 'secret:manage' },
      schema: {
        tags: ['secrets'],
        summary: 'Create (201) or replace (200) a secret',
        params: secretParams,
        body: secretPutBody,
        response: { 200: infoRef, 201: infoRef, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const { info, created } = await vault.put(name, request.body.value, request.user?.id ?? null);
      await auditRequest(system.audit, request, {
        action: created ? 'secret.create' : 'secret.update',
        resourceType: 'secret',
        resourceId: name,
        details: { backend: vault.kind },
      });
      return reply.status(created ? 201 : 200).send(info);
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/:name',
    {
      config: { access: 'secret:manage' },
      schema: {
        tags: ['secrets'],
        summary: 'Delete a secret',
        params: secretParams,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await vault.delete(request.params.name);
      await auditRequest(system.audit, request, {
        action: 'secret.delete',
        resourceType: 'secret',
        resourceId: request.params.name,
      });
      return reply.status(204).send();
    },
  );
};
