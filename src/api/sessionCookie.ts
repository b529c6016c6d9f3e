/**
 * The console's session: the access token as the `token` cookie (SPEC §10/§13). HttpOnly so no
 * script reads it, SameSite=Strict so no other site's page sends it, Secure when the caller came
 * over TLS (directly or through a trusted proxy), and it lives exactly as long as the token.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

const COOKIE = 'token';

function options(request: FastifyRequest) {
  return { path: '/', httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https' } as const;
}

export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  maxAgeSeconds: number,
) {
  reply.setCookie(COOKIE, token, { ...options(request), maxAge: maxAgeSeconds });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply) {
  reply.clearCookie(COOKIE, options(request));
}
