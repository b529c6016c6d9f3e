import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { notFound } from '../../errors.js';
import type { WorkflowRun, WorkflowRunStatus } from '../../repositories/workflowRuns.js';
import type { NewWorkflow, WorkflowReplacement } from '../../repositories/workflows.js';
import type { System } from '../../system.js';
import { auditRequest } from '../audit.js';
import { errorResponses, handleParam, pageOf, pageQuery } from '../schemas/common.js';
import { workflowCreateBody, workflowReplaceBody, workflowRunBody } from '../schemas/workflows.js';
import { ownerScope } from './tasks.js';

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

const RUN_STATUSES: WorkflowRunStatus[] = ['running', 'completed', 'failed', 'cancelled'];

/**
 * A run as the caller may see it: a `user` only their own (another's answers exactly like a
 * missing one, SPEC §10); `viewer` and `admin` every run. Runs without an owner (started before
 * owners were recorded, or by the CLI) are therefore visible to viewers and admins only.
 */
async function visibleRun(system: System, request: FastifyRequest, runId: string): Promise<WorkflowRun> {
  const run = await system.repos.workflowRuns.find(runId);
  const owner = ownerScope(request);
  if (owner !== undefined && run.createdBy !== owner)
    throw notFound('Workflow run', 'WORKFLOW_RUN_NOT_FOUND');
  return run;
}

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
    (request) => visibleRun(system, request, request.params.runId),
  );

  app.get<{
    Querystring: { workflowId?: string; status?: WorkflowRunStatus; limit: number; offset: number };
  }>(
    '/workflow-runs',
    {
      config: { access: 'workflow:view' },
      schema: {
        tags: ['workflows'],
        summary: 'List runs newest first, without their steps (a user sees only their own)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            workflowId: handleParam,
            status: { type: 'string', enum: RUN_STATUSES },
            ...pageQuery,
          },
        },
        response: { 200: pageOf(runRef), ...errorResponses },
      },
    },
    (request) => system.repos.workflowRuns.list({ ...request.query, createdBy: ownerScope(request) }),
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
      await visibleRun(system, request, request.params.runId);
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
