/**
 * `/api/approvals` (SPEC §11): the decisions tool calls and workflow steps wait for. A `user`
 * sees and decides only approvals of their own tasks and runs (another user's is a 404); a
 * viewer sees all and decides none (403); an admin does both for all.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Actor } from '../../core/approvals/approvalService.js';
import type { ApprovalFilters } from '../../repositories/approvals.js';
import type { System } from '../../system.js';
import { approvalIdParams, approvalListQuery, approveBody, rejectBody } from '../schemas/approvals.js';
import { errorResponses, pageOf } from '../schemas/common.js';
import { ownerScope } from './tasks.js';

const approvalRef = { $ref: 'Approval#' } as const;

function actorOf(request: FastifyRequest): Actor {
  return {
    userId: request.user?.id ?? null,
    ownerScope: ownerScope(request),
    ipAddress: request.ip,
    userAgent: request.headers['user-agent'] ?? null,
  };
}

export const approvalRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  const { approvals } = system;

  app.get<{ Querystring: ApprovalFilters }>(
    '',
    {
      config: { access: 'approval:view' },
      schema: {
        tags: ['approvals'],
        summary:
          'List approvals, newest first; filter by ?status=&taskId=&runId= (a user sees only their own)',
        querystring: approvalListQuery,
        response: { 200: pageOf(approvalRef), ...errorResponses },
      },
    },
    (request) => approvals.list(request.query, actorOf(request)),
  );

  app.get<{ Params: { approvalId: string } }>(
    '/:approvalId',
    {
      config: { access: 'approval:view' },
      schema: {
        tags: ['approvals'],
        summary: 'Get an approval',
        params: approvalIdParams,
        response: { 200: approvalRef, ...errorResponses },
      },
    },
    (request) => approvals.get(request.params.approvalId, actorOf(request)),
  );

  app.post<{
    Params: { approvalId: string };
    Body: { comment?: string; args?: Record<string, unknown> } | undefined;
  }>(
    '/:approvalId/approve',
    {
      config: { access: 'approval:decide' },
      schema: {
        tags: ['approvals'],
        summary:
          "Approve; `args` replaces the tool call's arguments (checked against the action). 409 when decided",
        params: approvalIdParams,
        body: approveBody,
        response: { 200: approvalRef, ...errorResponses },
      },
    },
    (request) =>
      approvals.decide(
        request.params.approvalId,
        { decision: 'approve', comment: request.body?.comment, args: request.body?.args },
        actorOf(request),
      ),
  );

  app.post<{ Params: { approvalId: string }; Body: { comment?: string } | undefined }>(
    '/:approvalId/reject',
    {
      config: { access: 'approval:decide' },
      schema: {
        tags: ['approvals'],
        summary:
          'Reject; the tool call does not run (the model is told), or the workflow step fails. 409 when decided',
        params: approvalIdParams,
        body: rejectBody,
        response: { 200: approvalRef, ...errorResponses },
      },
    },
    (request) =>
      approvals.decide(
        request.params.approvalId,
        { decision: 'reject', comment: request.body?.comment },
        actorOf(request),
      ),
  );
};
