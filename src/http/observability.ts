/**
 * Request ids, log lines that never carry secrets, and `/metrics`
 * (API.md 9). Every response carries `X-Request-Id`; every log line of a
 * request carries `request_id`, and `account_id` once the caller is known.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sha256 } from '../auth/tokens.js';
import { AuthorizationException } from '../domain/errors.js';
import type { Metrics } from '../observability/metrics.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** A well-formed incoming `X-Request-Id` is kept; otherwise a new UUID. */
export function requestIdFor(raw: IncomingMessage): string {
  const incoming = raw.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** Query parameters whose values never reach a log line. */
const SECRET_PARAMETERS = new Set(['code', 'state', 'access_token', 'token', 'password', 'key']);

/** The URL with the values of secret-bearing query parameters replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const mark = url.indexOf('?');
  if (mark < 0) return url;
  const parts = url
    .slice(mark + 1)
    .split('&')
    .map((part) => {
      const equals = part.indexOf('=');
      const rawName = equals < 0 ? part : part.slice(0, equals);
      let name: string;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        name = rawName;
      }
      return equals >= 0 && SECRET_PARAMETERS.has(name.toLowerCase()) ? `${rawName}=[redacted]` : part;
    });
  return `${url.slice(0, mark)}?${parts.join('&')}`;
}

/** Pino options for Fastify's logger: secrets redacted, URLs cleaned, request ids labelled. */
export function loggerOptions(level: string, extra: object = {}): object {
  return {
    level,
    redact: ['req.headers.authorization', 'req.headers.cookie'],
    serializers: {
      req(request: FastifyRequest) {
        return {
          method: request.method,
          url: redactUrl(request.url),
          remoteAddress: request.ip,
          userAgent: request.headers['user-agent'],
        };
      },
    },
    ...extra,
  };
}

function sameSecret(a: string, b: string): boolean {
  const digest = (value: string) => Buffer.from(sha256(value));
  return timingSafeEqual(digest(a), digest(b));
}

export interface ObservabilityOptions {
  metrics: Metrics;
  /** ROSTER_METRICS_TOKEN: when set, `/metrics` needs it as a bearer token. */
  metricsToken: string | undefined;
}

async function observability(app: FastifyInstance, { metrics, metricsToken }: ObservabilityOptions) {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    // Route templates only: a 404 for any URL counts as one series, not one per URL.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requestAnswered(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (metricsToken !== undefined) {
      const match = /^Bearer[ ]+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
      if (!match || !sameSecret(match[1]!, metricsToken)) {
        throw new AuthorizationException('/metrics needs the bearer token of ROSTER_METRICS_TOKEN');
      }
    }
    reply.header('cache-control', 'no-store');
    reply.type(metrics.contentType);
    return metrics.render();
  });
}

export const observabilityPlugin = fp(observability, { name: 'roster-observability' });
