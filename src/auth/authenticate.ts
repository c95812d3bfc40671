import type { FastifyReply, FastifyRequest } from 'fastify';
import { logAccount } from '../http/observability.js';
import type { Principal } from './access.js';
import type { AuthService } from '../modules/auth/auth.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate` on routes that require it. */
    principal: Principal;
  }
}

/** `Authorization: Bearer <token>` → the token, or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** An `onRequest` hook that requires a valid bearer credential and sets `request.principal`. */
export function authenticate(auth: AuthService) {
  return async function requireAuth(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    request.principal = await auth.authenticate(bearerToken(request), request.ip);
    logAccount(request, reply, request.principal.user.id);
  };
}
