/**
 * Response headers of API.md 9: `nosniff`, `Referrer-Policy: no-referrer`,
 * `X-Frame-Options: DENY` on every response, a Content-Security-Policy that
 * keeps `/docs` working without inline scripts, `Cache-Control: no-store`
 * on the API, and CORS only for the origins of ROSTER_CORS_ORIGINS.
 */
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface SecurityOptions {
  corsOrigins: string[];
  /** ROSTER_PUBLIC_URL: HSTS and upgrade-insecure-requests only when it is https. */
  publicUrl: string | undefined;
}

async function security(app: FastifyInstance, { corsOrigins, publicUrl }: SecurityOptions) {
  const https = publicUrl?.startsWith('https://') ?? false;
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'base-uri': ["'self'"],
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        // The API reference page sets style attributes at run time.
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'object-src': ["'none'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        ...(https ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: https ? { maxAge: 31_536_000 } : false,
    // Cross-origin API clients are governed by CORS below.
    crossOriginResourcePolicy: { policy: corsOrigins.length > 0 ? 'cross-origin' : 'same-origin' },
  });

  if (corsOrigins.length > 0) {
    await app.register(cors, {
      origin: corsOrigins,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'if-match', 'x-request-id'],
      exposedHeaders: ['etag', 'link', 'location', 'retry-after', 'x-request-id', 'x-total-count'],
      // Bearer tokens, not cookies: browsers need not send credentials.
      credentials: false,
      maxAge: 600,
    });
  }

  app.addHook('onSend', async (request, reply, payload) => {
    // Everything but the static files of the API reference may carry an account's data.
    if (!reply.hasHeader('cache-control') && !request.url.startsWith('/docs/static/')) {
      reply.header('cache-control', 'no-store');
    }
    return payload;
  });
}

export const securityPlugin = fp(security, { name: 'roster-security' });
