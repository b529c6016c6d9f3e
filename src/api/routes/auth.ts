import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../errors.js';
import type { System } from '../../system.js';
import { auditRequest } from '../audit.js';
import { errorResponses } from '../schemas/common.js';
import { apiKeyCreateBody, loginBody, refreshBody, registerBody, tokenPairSchema } from '../schemas/users.js';
import { clearSessionCookie, setSessionCookie } from '../sessionCookie.js';

const userRef = { $ref: 'User#' } as const;
const apiKeyRef = { $ref: 'ApiKey#' } as const;
const lockResponses = { 423: { $ref: 'Error#' }, 429: { $ref: 'Error#' } } as const;

/** Login, refresh, logout, self-registration, the caller's identity and their API keys. */
export const authRoutes: FastifyPluginAsync<{ system: System }> = async (app, { system }) => {
  const { security, audit } = system;

  app.post<{ Body: { username: string; password: string; cookie?: boolean } }>(
    '/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Exchange username and password for an access token and a refresh token',
        security: [],
        body: loginBody,
        response: { 200: tokenPairSchema, ...errorResponses, ...lockResponses },
      },
    },
    async (request, reply) => {
      const result = await security.auth.login(request, request.body.username, request.body.password);
      if (request.body.cookie) setSessionCookie(request, reply, result.token, result.expiresIn);
      return result;
    },
  );

  app.post<{ Body: { refreshToken: string; cookie?: boolean } }>(
    '/refresh',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Rotate a refresh token: a new pair; reusing a rotated token revokes its session',
        security: [],
        body: refreshBody,
        response: { 200: tokenPairSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const result = await security.auth.refresh(request, request.body.refreshToken);
      if (request.body.cookie) setSessionCookie(request, reply, result.token, result.expiresIn);
      return result;
    },
  );

  app.post(
    '/logout',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'End this session: its refresh tokens and access tokens stop working',
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await security.auth.logout(request);
      clearSessionCookie(request, reply);
      return reply.status(204).send();
    },
  );

  app.post<{ Body: { username: string; email: string; password: string } }>(
    '/register',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Create an account with role `user` (only when BSM_ALLOW_SIGNUP=true)',
        security: [],
        body: registerBody,
        response: { 201: userRef, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!system.config.allowSignup) throw new AppError('Sign-up is closed', 403, 'SIGNUP_DISABLED');
      const user = await security.accounts.create({ ...request.body, role: 'user' });
      request.user = user;
      await auditRequest(audit, request, {
        action: 'user.register',
        resourceType: 'user',
        resourceId: user.id,
        details: { username: user.username, role: user.role },
      });
      return reply.status(201).send(user);
    },
  );

  app.get(
    '/me',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user',
        response: { 200: userRef, ...errorResponses },
      },
    },
    (request) => request.user,
  );

  app.post<{ Body: { name: string; role?: 'admin' | 'user' | 'viewer'; expiresInDays?: number } }>(
    '/api-keys',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'Create an API key (`bsm_…`) for yourself; the value is shown only in this answer',
        body: apiKeyCreateBody,
        response: {
          201: { type: 'object', properties: { apiKey: apiKeyRef, key: { type: 'string' } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      // The ceiling is the caller's effective role: a viewer-scoped key cannot mint a user-scoped one.
      const created = await security.apiKeys.create(request.user!, request.body);
      await auditRequest(audit, request, {
        action: 'api_key.create',
        resourceType: 'api_key',
        resourceId: created.apiKey.id,
        details: { name: created.apiKey.name, role: created.apiKey.role },
      });
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/api-keys',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'Your API keys (never their values)',
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: apiKeyRef } } },
          ...errorResponses,
        },
      },
    },
    async (request) => ({ items: await security.apiKeys.list(request.user!.id) }),
  );

  app.delete<{ Params: { id: string } }>(
    '/api-keys/:id',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['auth'],
        summary: 'Revoke one of your API keys',
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 36 } }, required: ['id'] },
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await security.apiKeys.revoke(request.user!.id, request.params.id);
      await auditRequest(audit, request, {
        action: 'api_key.revoke',
        resourceType: 'api_key',
        resourceId: request.params.id,
      });
      return reply.status(204).send();
    },
  );
};
