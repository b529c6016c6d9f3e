import type { FastifyPluginAsync } from 'fastify';
import { USER_ROLES, type UserRole } from '../../domain.js';
import { validation } from '../../errors.js';
import type { AccountPatch, NewAccount } from '../../security/userAccounts.js';
import type { System } from '../../system.js';
import { auditRequest } from '../audit.js';
import { errorResponses, pageOf, pageQuery } from '../schemas/common.js';
import { userCreateBody, userPatchBody } from '../schemas/users.js';

const userRef = { $ref: 'User#' } as const;
const params = {
  type: 'object',
  properties: { id: { type: 'string', maxLength: 36 } },
  required: ['id'],
} as const;

/** Account administration (`user:manage`): create with any role, change, reset password, deactivate. */
export const userRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  const { repos, security, audit } = system;

  app.get<{ Querystring: { role?: UserRole; isActive?: boolean; limit: number; offset: number } }>(
    '',
    {
      config: { access: 'user:manage' },
      schema: {
        tags: ['users'],
        summary: 'List users, oldest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            role: { type: 'string', enum: USER_ROLES },
            isActive: { type: 'boolean' },
            ...pageQuery,
          },
        },
        response: { 200: pageOf(userRef), ...errorResponses },
      },
    },
    (request) => repos.users.list(request.query),
  );

  app.post<{ Body: NewAccount }>(
    '',
    {
      config: { access: 'user:manage' },
      schema: {
        tags: ['users'],
        summary: 'Create a user with any role',
        body: userCreateBody,
        response: { 201: userRef, ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = await security.accounts.create(request.body);
      await auditRequest(audit, request, {
        action: 'user.create',
        resourceType: 'user',
        resourceId: user.id,
        details: { username: user.username, role: user.role },
      });
      return reply.status(201).send(user);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/:id',
    {
      config: { access: 'user:manage' },
      schema: {
        tags: ['users'],
        summary: 'Get a user',
        params,
        response: { 200: userRef, ...errorResponses },
      },
    },
    (request) => repos.users.findById(request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: AccountPatch }>(
    '/:id',
    {
      config: { access: 'user:manage' },
      schema: {
        tags: ['users'],
        summary:
          'Change email, role or daily budget (budgetUsdPerDay), (de)activate, or reset the password (ends their sessions and revokes their API keys unless keepApiKeys)',
        params,
        body: userPatchBody,
        response: { 200: userRef, ...errorResponses },
      },
    },
    async (request) => {
      // keepApiKeys only means something next to a new password.
      if (request.body.keepApiKeys !== undefined && request.body.password === undefined) {
        throw validation('keepApiKeys needs password: it says whether a password reset keeps API keys', {
          field: 'keepApiKeys',
        });
      }
      const user = await security.accounts.update(request.params.id, request.body);
      if (request.body.budgetUsdPerDay !== undefined) system.budgets.forgetUser(user.id);
      const fields = Object.keys(request.body).filter((f) => f !== 'password' && f !== 'keepApiKeys');
      await auditRequest(audit, request, {
        action: request.body.password !== undefined ? 'user.password_reset' : 'user.update',
        resourceType: 'user',
        resourceId: user.id,
        details: {
          fields,
          role: user.role,
          isActive: user.isActive,
          ...(request.body.password !== undefined ? { keysKept: request.body.keepApiKeys === true } : {}),
        },
      });
      return user;
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/:id',
    {
      config: { access: 'user:manage' },
      schema: {
        tags: ['users'],
        summary: 'Deactivate a user (rows that name them are kept)',
        params,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await security.accounts.update(request.params.id, { isActive: false });
      await auditRequest(audit, request, {
        action: 'user.deactivate',
        resourceType: 'user',
        resourceId: request.params.id,
      });
      return reply.status(204).send();
    },
  );
};
