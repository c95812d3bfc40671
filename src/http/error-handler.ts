/**
 * The one place where errors become HTTP answers: domain errors map to their
 * status and `{"detail": [name, message]}`; validation failures become the
 * pydantic-style 422; anything else is a logged 500 that reveals nothing.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv';
import { DatabaseBusy, ForeignKeyViolation } from '../db/errors.js';
import { AuthorizationException, DomainError, InvalidInput, OAuthError, TooManyRequests } from '../domain/errors.js';
import { toValidationIssues, type ValidationIssue } from './validation.js';

function domainError(reply: FastifyReply, status: number, name: string, message: string) {
  return reply.code(status).send({ detail: [name, message] });
}

function validationError(reply: FastifyReply, issues: ValidationIssue[]) {
  return reply.code(422).send({ detail: issues });
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof InvalidInput) {
    return validationError(reply, [{ type: error.type, loc: error.loc, msg: error.message }]);
  }

  if (error instanceof OAuthError) {
    return reply
      .code(400)
      .header('cache-control', 'no-store')
      .send({ error: error.error, error_description: error.message });
  }

  if (error instanceof DomainError) {
    if (error instanceof AuthorizationException) reply.header('WWW-Authenticate', 'Bearer');
    if (error instanceof TooManyRequests) reply.header('Retry-After', String(error.retryAfterSeconds));
    return domainError(reply, error.status, error.errorName, error.message);
  }

  if (error.validation) {
    const context = error.validationContext ?? 'body';
    const data = (request as unknown as Record<string, unknown>)[context];
    const issues = toValidationIssues(error.validation as ErrorObject[], context, data);
    return validationError(reply, issues);
  }

  switch (error.code) {
    case 'ROSTER_JSON_INVALID':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return validationError(reply, [{ type: 'json_invalid', loc: ['body'], msg: error.message }]);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return domainError(reply, 413, 'PayloadTooLarge', 'the request body is over the size limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return domainError(
        reply,
        415,
        'UnsupportedMediaType',
        'send application/json (or application/x-www-form-urlencoded to /api/v1/auth/login)',
      );
  }

  // Fastify's own client errors (bad content length, malformed URL, ...) keep their status.
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return domainError(reply, error.statusCode, 'ValueError', 'the request could not be processed');
  }

  if (error instanceof ForeignKeyViolation) {
    // Something the request refers to was deleted by a concurrent request.
    request.log.warn({ err: error }, 'referenced row vanished');
    return domainError(reply, 404, 'KeyError', 'a resource this request refers to no longer exists');
  }

  if (error instanceof DatabaseBusy) {
    request.log.warn({ err: error }, 'database busy');
    reply.header('Retry-After', '1');
    return domainError(reply, 503, 'ServiceUnavailable', 'the database is busy; retry the request');
  }

  request.log.error({ err: error }, 'unexpected error');
  return domainError(reply, 500, 'RuntimeError', `an unexpected error occurred (request id ${request.id})`);
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  return domainError(reply, 404, 'KeyError', `no route for ${request.method} ${request.url.split('?')[0]}`);
}

/**
 * Headers of API.md 9 for the answers written before any hook runs (URL
 * errors Fastify catches while routing, HTTP errors Node catches while
 * parsing); every other answer gets them from the security plugin.
 */
export const BASELINE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

/** Fastify's routing errors (a malformed or over-long path), in the contract's shape. */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  reply.headers({ ...BASELINE_HEADERS, 'x-request-id': request.id });
  if (error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return validationError(reply, [
      {
        type: 'value_error',
        loc: ['path'],
        msg:
          error.code === 'FST_ERR_BAD_URL'
            ? 'Value error, the path is not validly encoded'
            : 'Value error, a path parameter is too long',
      },
    ]);
  }
  return errorHandler(error, request, reply);
}

/**
 * Requests Node refuses before Fastify sees them (a malformed request, headers
 * too large, a client too slow: 400, 431, 408), in the contract's shape.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, name, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'RequestTimeout', 'the request did not arrive in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'ValueError', 'the request headers are too large']
        : [400, 'ValueError', 'the request is not valid HTTP'];
  const body = JSON.stringify({ detail: [name, message] });
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
    'x-request-id': randomUUID(),
    ...BASELINE_HEADERS,
  };
  if (socket.writable) {
    const head = Object.entries(headers)
      .map(([key, value]) => `${key}: ${value}\r\n`)
      .join('');
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head}\r\n${body}`);
  }
  socket.destroy(error);
}
