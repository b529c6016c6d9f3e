import type { FastifyPluginAsync } from 'fastify';
import type { NewWorkflow, WorkflowReplacement } from '../../repositories/workflows.js';
import type { System } from '../../system.js';
import { auditRequest } from '../audit.js';
import { errorResponses, handleParam, pageOf, pageQuery } from '../schemas/common.js';
import { workflowCreateBody, workflowReplaceBody, workflowRunBody } from '../schemas/workflows.js';

const workflowRef = { $ref: 'Workflow#' } as const;
const runRef = { $ref: 'WorkflowRun#' } as const;
const workflowParams = {
  type: 'object',
  properties: { workflowId: handleParam },
  required: ['workflowId'],
} as const;
const runParams = {
  type: 'object',
  properties: { runId: { type: 'string', minLength: 1, maxLength: 100 } },
  required: ['runId'],
} as const;

/** Workflow definitions (`/api/workflows`) and their runs (`/api/workflow-runs`), SPEC §7. */
export const workflowRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  const workflows = system.workflows;

  app.get<{ Querystring: { limit: number; offset: number } }>(
    '/workflows',
    {
      config: { access: 'workflow:view' },
      schema: {
        tags: ['workflows'],
        summary: 'List workflows, newest first',
        querystring: { type: 'object', additionalProperties: false, properties: pageQuery },
        response: { 200: pageOf(workflowRef), ...errorResponses },
      },
    },
    (request) => workflows.list(request.query),
  );

  app.post<{ Body: NewWorkflow }>(
    '/workflows',
    {
      config: { access: 'workflow:manage' },
      schema: {
        tags: ['workflows'],
        summary: 'Create a workflow (validated: step ids, dependencies, cycles, agents, templates)',
        body: workflowCreateBody,
        response: { 201: workflowRef, ...errorResponses },
      },
    },
    async (request, reply) => {
      const workflow = await workflows.create({ ...request.body, createdBy: request.user?.id ?? null });
      await auditRequest(system.audit, request, {
        action: 'workflow.create',
        resourceType: 'workflow',
        resourceId: workflow.workflowId,
        details: { name: workflow.name, steps: workflow.definition.steps.length },
      });
      return reply.status(201).send(workflow);
    },
  );

  app.get<{ Params: { workflowId: string } }>(
    '/workflows/:workflowId',
    {
      config: { access: 'workflow:view' },
      schema: {
        tags: ['workflows'],
        summary: 'Get a workflow',
        params: workflowParams,
        response: { 200: workflowRef, ...errorResponses },
      },
    },
    (request) => workflows.get(request.params.workflowId),
  );

  app.put<{ Params: { workflowId: string }; Body: WorkflowReplacement }>(
    '/workflows/:workflowId',
    {
      config: { access: 'workflow:manage' },
      schema: {
        tags: ['workflows'],
        summary: 'Replace a workflow (its version goes up; running runs keep their definition)',
        params: workflowParams,
        body: workflowReplaceBody,
        response: { 200: workflowRef, ...errorResponses },
      },
    },
    async (request) => {
      const workflow = await workflows.replace(request.params.workflowId, request.body);
      await auditRequest(system.audit, request, {
        action: 'workflow.update',
        resourceType: 'workflow',
        resourceId: workflow.workflowId,
        details: { version: workflow.version, steps: workflow.definition.steps.length },
      });
      return workflow;
    },
  );

  app.delete<{ Params: { workflowId: string } }>(
    '/workflows/:workflowId',
    {
      config: { access: 'workflow:manage' },
      schema: {
        tags: ['workflows'],
        summary: 'Delete a workflow and its finished runs (409 while a run is running)',
        params: workflowParams,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await workflows.delete(request.params.workflowId);
      await auditRequest(system.audit, request, {
        action: 'workflow.delete',
        resourceType: 'workflow',
        resourceId: request.params.workflowId,
      });
      return reply.status(204).send();
    },
  );

  app.post<{ Params: { workflowId: string }; Body: { input?: Record<string, unknown> } }>(
    '/workflows/:workflowId/runs',
    {
      config: { access: 'workflow:run' },
      schema: {
        tags: ['workflows'],
        summary: 'Start a run: its first steps are queued at once; poll the run for progress',
        params: workflowParams,
        body: workflowRunBody,
        response: { 202: runRef, ...errorResponses },
      },
    },
    async (request, reply) => {
      const engine = system.workflowEngine;
      const run = await engine.startRun(
        request.params.workflowId,
        request.body?.input ?? {},
        request.user?.id ?? null,
      );
      await auditRequest(system.audit, request, {
        action: 'workflow.run',
        resourceType: 'workflow',
        resourceId: request.params.workflowId,
        details: { runId: run.runId },
      });
      return reply.status(202).send(run);
    },
  );

  app.get<{ Params: { runId: string } }>(
    '/workflow-runs/:runId',
    {
      config: { access: 'workflow:view' },
      schema: {
        tags: ['workflows'],
        summary: 'A run with each step’s status, task, input and output',
        params: runParams,
        response: { 200: runRef, ...errorResponses },
      },
    },
    (request) => system.repos.workflowRuns.find(request.params.runId),
  );

  app.post<{ Params: { runId: string } }>(
    '/workflow-runs/:runId/cancel',
    {
      config: { access: 'workflow:run' },
      schema: {
        tags: ['workflows'],
        summary: 'Cancel a running run (its running step tasks are cancelled; 409 if it already ended)',
        params: runParams,
        response: { 200: runRef, ...errorResponses },
      },
    },
    async (request) => {
      const run = await system.workflowEngine.cancel(request.params.runId);
      await auditRequest(system.audit, request, {
        action: 'workflow.cancel',
        resourceType: 'workflow_run',
        resourceId: run.runId,
        details: { workflowId: run.workflowId },
      });
      return run;
    },
  );
};
