import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RequestContext } from '../domain/events.js';
import type { Principal } from './access.js';

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

/** The request as audit events record it: its id, the client's address, its user agent (cut short). */
export function requestContext(request: FastifyRequest): RequestContext {
  const agent = request.headers['user-agent'];
  return { id: request.id, ip: request.ip, user_agent: typeof agent === 'string' ? agent.slice(0, 512) : null };
}

/** Resolves a bearer credential to its caller (the auth module's service implements it). */
export interface Authenticator {
  authenticate(token: string | undefined, context: RequestContext): Promise<Principal>;
}

/** An `onRequest` hook that requires a valid bearer credential and sets `request.principal`. */
export function authenticate(auth: Authenticator) {
  return async function requireAuth(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    request.principal = await auth.authenticate(bearerToken(request), requestContext(request));
    // From here on, every log line of the request names its caller (API.md 9). The request's
    // logger is its own (a child made for it, which the reply shares): it takes the binding
    // itself rather than making another child per request.
    (request.log as Partial<Pick<Logger, 'setBindings'>>).setBindings?.({ account_id: request.principal.user.id });
    if (reply.log !== request.log) reply.log = request.log;
  };
}
