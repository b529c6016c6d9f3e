import type { FastifyPluginAsync } from 'fastify';
import type { System } from '../../system.js';
import { errorResponses, handleParam, pageOf, pageQuery } from '../schemas/common.js';
import { ownerScope } from './tasks.js';

const runSummary = {
  type: 'object',
  properties: {
    runId: { type: 'string', format: 'uuid' },
    workflowId: { type: 'string' },
    workflowVersion: { type: 'integer' },
    status: { type: 'string', enum: ['running', 'completed', 'failed', 'cancelled'] },
    error: { type: ['string', 'null'] },
    createdBy: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    completedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

/** A workflow's run history (the console's workflow page); a user sees only their own runs. */
export const workflowRunListRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  app.get<{ Params: { workflowId: string }; Querystring: { limit: number; offset: number } }>(
    '/workflows/:workflowId/runs',
    {
      config: { access: 'workflow:view' },
      schema: {
        tags: ['workflows'],
        summary: 'Runs of a workflow, newest first, without their steps (a user sees only their own)',
        params: { type: 'object', properties: { workflowId: handleParam }, required: ['workflowId'] },
        querystring: { type: 'object', additionalProperties: false, properties: pageQuery },
        response: { 200: pageOf(runSummary), ...errorResponses },
      },
    },
    async (request) => {
      // An unknown workflow is a 404, not an empty page.
      const workflow = await system.workflows.get(request.params.workflowId);
      return system.repos.workflowRuns.list({
        ...request.query,
        workflowId: workflow.workflowId,
        createdBy: ownerScope(request),
      });
    },
  );
};
