import Fastify, { LogController, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { pendingMigrations } from './db/migrate.js';
import type { Executor } from './db/transactions.js';
import { buildServices } from './services.js';
import { authenticate } from './auth/authenticate.js';
import { clientErrorHandler, errorHandler, frameworkErrorHandler, notFoundHandler } from './http/error-handler.js';
import { DomainErrorSchema, ValidationErrorSchema } from './http/schemas.js';
import { parseJsonBody } from './http/json-body.js';
import { validatorCompiler } from './http/validation.js';
import { loggerOptions, observabilityPlugin, requestIdFor } from './http/observability.js';
import { securityPlugin } from './http/security.js';
import { publicUrlPlugin } from './http/public-url.js';
import { Metrics } from './observability/metrics.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { healthRoutes } from './modules/health/health.routes.js';
import { UserRead } from './modules/users/users.schemas.js';
import { usersRoutes } from './modules/users/users.routes.js';
import { organizationsRoutes } from './modules/organizations/organizations.routes.js';
import { workspacesRoutes } from './modules/workspaces/workspaces.routes.js';
import { apiKeysRoutes } from './modules/api-keys/api-keys.routes.js';
import { invitationsRoutes } from './modules/invitations/invitations.routes.js';
import type { OidcClient } from './modules/sso/oidc-client.js';
import { ssoRoutes } from './modules/sso/sso.routes.js';

export interface AppDeps {
  config: Config;
  /** The database (migrated). */
  db: Executor;
  clock: Clock;
  /** Signs cookies (from ROSTER_SECRET_KEY, or the one kept in the database). */
  secretKey: string;
  /** The discovered OpenID provider when single sign-on is configured. */
  oidc?: OidcClient;
  /** Metrics of this app (a new set when not given). */
  metrics?: Metrics;
  /** false for no logs (tests), or extra pino options (a destination stream, a level). */
  logger?: false | object;
}

/** Builds the HTTP application: plugins, error handling, routes. It does not listen. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, db, clock, secretKey, oidc, logger } = deps;
  const metrics = deps.metrics ?? new Metrics();
  const app = Fastify({
    logger: logger === false ? false : loggerOptions(config.logLevel, logger),
    genReqId: requestIdFor,
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    // Slow clients cannot hold a connection: headers within 10 s, the whole request within
    // ROSTER_REQUEST_TIMEOUT, checked every second.
    requestTimeout: config.requestTimeoutSeconds * 1000,
    http: {
      headersTimeout: Math.min(10_000, config.requestTimeoutSeconds * 1000),
      requestTimeout: config.requestTimeoutSeconds * 1000,
      connectionsCheckingInterval: 1000,
    },
    bodyLimit: config.bodyLimitBytes,
    // Requests that arrive while the server drains are answered normally (through every hook),
    // not with Fastify's own 503 body.
    return503OnClosing: false,
    // Long path values reach validation (a 422 naming the field); only absurd ones stop at routing.
    routerOptions: { maxParamLength: 1024 },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (_address: string, hop: number) => hop < (config.trustProxy as number)
        : config.trustProxy,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Only JSON (and the login form, registered by its routes) are bodies: text/plain would reach
  // operations whose schemas cover other media types unvalidated.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  await app.register(observabilityPlugin, { metrics, metricsToken: config.metricsToken });
  await app.register(securityPlugin, { corsOrigins: config.corsOrigins, publicUrl: config.publicUrl });
  await app.register(publicUrlPlugin, { publicUrl: config.publicUrl });
  app.addSchema(DomainErrorSchema);
  app.addSchema(ValidationErrorSchema);
  app.addSchema(UserRead);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Roster',
        version: '0.1.0',
        description: 'User-account directory service: users, organizations, workspaces and service accounts.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const { settings, auth, users, organizations, workspaces, apiKeys, invitations, sso } = buildServices(db, {
    clock,
    config,
    loginObserver: metrics,
    ...(oidc ? { oidc } : {}),
  });
  const requireAuth = authenticate(auth);

  await app.register(healthRoutes, {
    probes: { ping: () => settings.ping(), pendingMigrations: () => pendingMigrations(db) },
  });
  await app.register(authRoutes, { auth, authenticate: requireAuth });
  await app.register(ssoRoutes, { sso, secretKey, publicUrl: oidc?.settings.publicUrl });
  await app.register(usersRoutes, { users, authenticate: requireAuth });
  await app.register(organizationsRoutes, { organizations, authenticate: requireAuth });
  await app.register(workspacesRoutes, { workspaces, authenticate: requireAuth });
  await app.register(apiKeysRoutes, { apiKeys, authenticate: requireAuth });
  await app.register(invitationsRoutes, { invitations, authenticate: requireAuth });
  return app;
}
