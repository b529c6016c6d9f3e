import type { FastifyPluginAsync } from 'fastify';
import { validation } from '../../errors.js';
import { parseChainHead } from '../../security/auditChain.js';
import type { System } from '../../system.js';
import { auditMetricsSchema, auditQuery, verificationSchema, verifyQuery } from '../schemas/audit.js';
import { errorResponses, pageOf } from '../schemas/common.js';

interface AuditQuery {
  userId?: string;
  action?: string;
  resourceType?: string;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

/** The audit log (SPEC §6): filtered listing, chain verification, counts. */
export const auditRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  app.get<{ Querystring: AuditQuery }>(
    '',
    {
      config: { access: 'audit:view' },
      schema: {
        tags: ['audit'],
        summary: 'List audit rows, newest first, filtered by user, action, resource type and time',
        querystring: auditQuery,
        response: { 200: pageOf({ $ref: 'AuditLog#' }), ...errorResponses },
      },
    },
    (request) => {
      const { from, to, ...rest } = request.query;
      const fromDate = from ? new Date(from) : undefined;
      const toDate = to ? new Date(to) : undefined;
      if (fromDate && toDate && fromDate > toDate) {
        throw validation('query.from must not be after query.to', { field: 'from' });
      }
      return system.audit.list({ ...rest, from: fromDate, to: toDate });
    },
  );

  app.get<{ Querystring: { head?: string } }>(
    '/verify',
    {
      config: { access: 'audit:view' },
      schema: {
        tags: ['audit'],
        summary:
          'Walk the hash chain in order and report the first broken link; with ?head=seq:hash, also that the chain still contains that head',
        querystring: verifyQuery,
        response: { 200: verificationSchema, ...errorResponses },
      },
    },
    (request) => {
      const head = request.query.head === undefined ? undefined : parseChainHead(request.query.head);
      if (head === null) throw validation('query.head must be <seq>:<64 hex>', { field: 'head' });
      return system.audit.verify(head);
    },
  );

  app.get(
    '/metrics',
    {
      config: { access: 'audit:view' },
      schema: {
        tags: ['audit'],
        summary: 'Audit rows per action and write failures of this process',
        response: { 200: auditMetricsSchema, ...errorResponses },
      },
    },
    () => system.audit.metrics(),
  );
};
