import Fastify, { LogController, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { pendingMigrations } from './db/migrate.js';
import type { Executor } from './db/transactions.js';
import { buildServices, type Services } from './services.js';
import { authenticate } from './auth/authenticate.js';
import { deviceRoutes } from './modules/device/device.routes.js';
import { compatibilityPlugin, isPutSynonym } from './http/compatibility.js';
import { finishDocument } from './http/openapi.js';
import { clientErrorHandler, errorHandler, frameworkErrorHandler, notFoundHandler } from './http/error-handler.js';
import { DomainErrorSchema, ValidationErrorSchema } from './http/schemas.js';
import { parseJsonBody } from './http/json-body.js';
import { validatorCompiler } from './http/validation.js';
import { loggerOptions, observabilityPlugin, requestIdFor } from './http/observability.js';
import { securityPlugin } from './http/security.js';
import { consoleRoutes } from './http/console.js';
import { publicUrlPlugin } from './http/public-url.js';
import { Metrics } from './observability/metrics.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { healthRoutes } from './modules/health/health.routes.js';
import { UserRead } from './modules/users/users.schemas.js';
import { EventRead } from './modules/events/events.schemas.js';
import { eventsRoutes } from './modules/events/events.routes.js';
import { EVENTS_CHANNEL } from './modules/events/events.repository.js';
import { DeliveryWorker } from './modules/webhooks/delivery-worker.js';
import { webhooksRoutes } from './modules/webhooks/webhooks.routes.js';
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
  /** Watches the database for other instances' commits (long polls wake at once); see `DatabaseHandle.watch`. */
  watch?: (channel: string, onChange: () => void) => Promise<() => Promise<void>>;
  /** Run the webhook delivery worker and the pruning of old events in this app (default true). */
  background?: boolean;
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
  app.addSchema(EventRead);

  const services = buildServices(db, {
    clock,
    config,
    secretKey,
    loginObserver: metrics,
    ...(oidc ? { oidc } : {}),
  });
  await app.register(compatibilityPlugin, { access: services.access });
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
    // PUT synonyms of PATCH routes are documented by their PATCH operation.
    transform: ({ schema, url, route }) => ({ schema: isPutSynonym(route) ? { ...schema, hide: true } : schema, url }),
    transformObject: (document) =>
      finishDocument((document as { openapiObject: Record<string, unknown> }).openapiObject, config.publicUrl),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const {
    settings,
    auth,
    users,
    organizations,
    workspaces,
    apiKeys,
    invitations,
    sso,
    events,
    feed,
    webhooks,
    device,
  } = services;
  await runInBackground(app, deps, { events, feed, webhooks, users, metrics });
  const requireAuth = authenticate(auth);

  await app.register(healthRoutes, {
    probes: { ping: () => settings.ping(), pendingMigrations: () => pendingMigrations(db) },
  });
  await app.register(authRoutes, { auth, device, authenticate: requireAuth });
  await app.register(deviceRoutes, { device, authenticate: requireAuth });
  await app.register(ssoRoutes, { sso, secretKey, publicUrl: oidc?.settings.publicUrl });
  await app.register(usersRoutes, { users, authenticate: requireAuth });
  await app.register(organizationsRoutes, { organizations, authenticate: requireAuth });
  await app.register(workspacesRoutes, { workspaces, authenticate: requireAuth });
  await app.register(apiKeysRoutes, { apiKeys, authenticate: requireAuth });
  await app.register(invitationsRoutes, { invitations, authenticate: requireAuth });
  await app.register(eventsRoutes, { events, authenticate: requireAuth });
  await app.register(webhooksRoutes, { webhooks, authenticate: requireAuth });
  await app.register(consoleRoutes, {
    ...(oidc && config.oidc ? { ssoProvider: config.oidc.provider } : {}),
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
  });
  return app;
}

/** How often events past their retention are pruned. */
const PRUNE_EVERY_MS = 3600 * 1000;

/**
 * What an app runs beside its requests: the feed's watch of the database, the
 * webhook delivery worker, the pruning of old events (and the folding of the
 * account count's deltas). All of it stops when
 * the app closes; long polls answer as soon as closing begins.
 */
async function runInBackground(
  app: FastifyInstance,
  deps: AppDeps,
  parts: Pick<Services, 'events' | 'feed' | 'webhooks' | 'users'> & { metrics: Metrics },
): Promise<void> {
  const { events, feed, webhooks, users, metrics } = parts;
  if (deps.watch) {
    const watch = deps.watch;
    await feed.watch((onChange) => watch(EVENTS_CHANNEL, onChange));
  }
  app.addHook('preClose', async () => events.close());
  app.addHook('onClose', async () => feed.close());
  if (deps.background === false) return;
  const worker = new DeliveryWorker(webhooks, {
    allowPrivate: deps.config.webhooks.allowPrivate,
    observer: metrics,
    onError: (error) => app.log.error({ err: error }, 'webhook delivery worker'),
  });
  // Woken by every commit with events: this instance's at once, other instances' through the
  // feed's watch of the database (and by polling, every second).
  feed.onWake(() => worker.wake());
  const prune = async () => {
    await events
      .prune(deps.config.eventsRetentionDays)
      .catch((error) => app.log.error({ err: error }, 'pruning events'));
    await users.foldCount().catch((error) => app.log.error({ err: error }, 'folding the account count'));
  };
  let pruner: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    worker.start();
    void prune();
    pruner = setInterval(() => void prune(), PRUNE_EVERY_MS);
    pruner.unref();
  });
  app.addHook('preClose', async () => {
    clearInterval(pruner);
    await worker.stop();
  });
}
