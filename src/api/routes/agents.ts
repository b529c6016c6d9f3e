import type { FastifyPluginAsync } from 'fastify';
import type { AgentStatus } from '../../domain.js';
import { AGENT_STATUSES } from '../../domain.js';
import type { AgentPatch, NewAgent } from '../../repositories/agents.js';
import type { System } from '../../system.js';
import { auditRequest } from '../audit.js';
import { agentCreateBody, agentPatchBody } from '../schemas/agents.js';
import { errorResponses, handleParam, pageOf, pageQuery } from '../schemas/common.js';

const agentRef = { $ref: 'Agent#' } as const;
const params = { type: 'object', properties: { agentId: handleParam }, required: ['agentId'] } as const;

export const agentRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  const agents = system.agents;

  app.get<{ Querystring: { status?: AgentStatus; q?: string; limit: number; offset: number } }>(
    '',
    {
      config: { access: 'agent:list' },
      schema: {
        tags: ['agents'],
        summary: 'List agents, newest first; `q` searches name, role, description and capabilities (ranked)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: AGENT_STATUSES },
            q: { type: 'string', maxLength: 200 },
            ...pageQuery,
          },
        },
        response: { 200: pageOf(agentRef), ...errorResponses },
      },
    },
    (request) => agents.list(request.query),
  );

  app.post<{ Body: NewAgent }>(
    '',
    {
      config: { access: 'agent:create' },
      schema: {
        tags: ['agents'],
        summary: 'Register an agent',
        body: agentCreateBody,
        response: { 201: agentRef, ...errorResponses },
      },
    },
    async (request, reply) => {
      const agent = await agents.create({ ...request.body, createdBy: request.user?.id ?? null });
      await auditRequest(system.audit, request, {
        action: 'agent.create',
        resourceType: 'agent',
        resourceId: agent.agentId,
        details: { name: agent.name, modelProvider: agent.modelProvider, actions: agent.actions },
      });
      return reply.status(201).send(agent);
    },
  );

  app.get<{ Params: { agentId: string } }>(
    '/:agentId',
    {
      config: { access: 'agent:view' },
      schema: {
        tags: ['agents'],
        summary: 'Get an agent by its agentId',
        params,
        response: { 200: agentRef, ...errorResponses },
      },
    },
    (request) => agents.get(request.params.agentId),
  );

  app.patch<{ Params: { agentId: string }; Body: AgentPatch }>(
    '/:agentId',
    {
      config: { access: 'agent:update' },
      schema: {
        tags: ['agents'],
        summary: 'Change some fields of an agent (bumps version)',
        params,
        body: agentPatchBody,
        response: { 200: agentRef, ...errorResponses },
      },
    },
    async (request) => {
      const agent = await agents.update(request.params.agentId, request.body);
      await auditRequest(system.audit, request, {
        action: 'agent.update',
        resourceType: 'agent',
        resourceId: agent.agentId,
        details: { fields: Object.keys(request.body), version: agent.version },
      });
      return agent;
    },
  );

  app.delete<{ Params: { agentId: string } }>(
    '/:agentId',
    {
      config: { access: 'agent:delete' },
      schema: {
        tags: ['agents'],
        summary: 'Delete an agent and its tasks',
        params,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await agents.delete(request.params.agentId);
      await auditRequest(system.audit, request, {
        action: 'agent.delete',
        resourceType: 'agent',
        resourceId: request.params.agentId,
      });
      return reply.status(204).send();
    },
  );
};
