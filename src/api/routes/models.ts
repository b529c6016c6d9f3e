import type { FastifyPluginAsync } from 'fastify';
import { MODEL_STATUSES, type ModelStatus } from '../../domain.js';
import type { MlModelPatch, NewMlModel } from '../../repositories/mlModels.js';
import type { System } from '../../system.js';
import { auditRequest } from '../audit.js';
import { errorResponses, handleParam, pageOf, pageQuery } from '../schemas/common.js';
import { modelCreateBody, modelPatchBody } from '../schemas/models.js';

const modelRef = { $ref: 'Model#' } as const;
const params = { type: 'object', properties: { modelId: handleParam }, required: ['modelId'] } as const;

/** The `ml_models` registry (seed table 5). */
export const modelRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  const models = system.repos.mlModels;

  app.get<{ Querystring: { status?: ModelStatus; type?: string; limit: number; offset: number } }>(
    '',
    {
      config: { access: 'model:list' },
      schema: {
        tags: ['models'],
        summary: 'List registered models, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: MODEL_STATUSES },
            type: { type: 'string', maxLength: 50 },
            ...pageQuery,
          },
        },
        response: { 200: pageOf(modelRef), ...errorResponses },
      },
    },
    (request) => models.list(request.query),
  );

  app.post<{ Body: NewMlModel }>(
    '',
    {
      config: { access: 'model:manage' },
      schema: {
        tags: ['models'],
        summary: 'Register a model',
        body: modelCreateBody,
        response: { 201: modelRef, ...errorResponses },
      },
    },
    async (request, reply) => {
      const model = await models.create({ ...request.body, createdBy: request.user?.id ?? null });
      await auditRequest(system.audit, request, {
        action: 'model.create',
        resourceType: 'model',
        resourceId: model.modelId,
        details: { name: model.name, version: model.version },
      });
      return reply.status(201).send(model);
    },
  );

  app.get<{ Params: { modelId: string } }>(
    '/:modelId',
    {
      config: { access: 'model:list' },
      schema: {
        tags: ['models'],
        summary: 'Get a model',
        params,
        response: { 200: modelRef, ...errorResponses },
      },
    },
    (request) => models.findByModelId(request.params.modelId),
  );

  app.patch<{ Params: { modelId: string }; Body: MlModelPatch }>(
    '/:modelId',
    {
      config: { access: 'model:manage' },
      schema: {
        tags: ['models'],
        summary: 'Change a model',
        params,
        body: modelPatchBody,
        response: { 200: modelRef, ...errorResponses },
      },
    },
    async (request) => {
      const model = await models.update(request.params.modelId, request.body);
      await auditRequest(system.audit, request, {
        action: 'model.update',
        resourceType: 'model',
        resourceId: model.modelId,
        details: { fields: Object.keys(request.body) },
      });
      return model;
    },
  );

  app.delete<{ Params: { modelId: string } }>(
    '/:modelId',
    {
      config: { access: 'model:manage' },
      schema: {
        tags: ['models'],
        summary: 'Delete a model',
        params,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await models.delete(request.params.modelId);
      await auditRequest(system.audit, request, {
        action: 'model.delete',
        resourceType: 'model',
        resourceId: request.params.modelId,
      });
      return reply.status(204).send();
    },
  );

  app.post<{ Params: { modelId: string } }>(
    '/:modelId/deploy',
    {
      config: { access: 'model:manage' },
      schema: {
        tags: ['models'],
        summary: 'Mark a model deployed (sets deployedAt)',
        params,
        response: { 200: modelRef, ...errorResponses },
      },
    },
    async (request) => {
      const model = await models.deploy(request.params.modelId);
      await auditRequest(system.audit, request, {
        action: 'model.deploy',
        resourceType: 'model',
        resourceId: model.modelId,
      });
      return model;
    },
  );
};
