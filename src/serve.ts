/**
 * Runs Roster's HTTP service until SIGTERM or SIGINT: prepare the database,
 * bootstrap, listen, and drain within ROSTER_SHUTDOWN_TIMEOUT on the way out.
 */
import { buildApp } from './app.js';
import { bootstrap } from './bootstrap.js';
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import { describeDatabaseUrl, openDatabase } from './db/dialect.js';
import { assertSchemaCurrent, migrateToLatest } from './db/migrate.js';
import { discoverOidc, type OidcClient } from './modules/sso/oidc-client.js';

/** A failure that stops startup: printed as one line, exit code 1. */
export class StartupError extends Error {}

export async function serve(config: Config): Promise<void> {
  const handle = await openDatabase(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    backgroundCheckpoints: true,
  });
  // One listener for the whole life of the process, switched from "stop at once" (while
  // migrating, bootstrapping, discovering the provider) to "drain" once listening. Swapping
  // listeners instead could lose a signal that arrives in between.
  let onSignal = (_signal: NodeJS.Signals) => {
    void handle.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', (signal) => onSignal(signal));
  process.on('SIGTERM', (signal) => onSignal(signal));
  const abort = async (message: string): Promise<never> => {
    await handle.close().catch(() => undefined);
    throw new StartupError(message);
  };
  try {
    if (config.migrateOnStart) await migrateToLatest(handle.db);
    else await assertSchemaCurrent(handle.db);
  } catch (error) {
    await abort(
      `cannot prepare the database (${describeDatabaseUrl(config.databaseUrl)}): ${(error as Error).message}`,
    );
  }
  const boot = await bootstrap(handle.db, config, systemClock);
  if (boot.generatedAdminPassword) {
    // Printed at once: should anything below fail, the password is not lost with it.
    process.stdout.write(
      [
        '',
        '  Internal administrator created. This password is shown once; keep it safe:',
        `    username: ${config.adminUsername}`,
        `    password: ${boot.generatedAdminPassword}`,
        '  (set ROSTER_ADMIN_PASSWORD before the first start to choose it yourself)',
        '',
        '',
      ].join('\n'),
    );
  }
  let oidc: OidcClient | undefined;
  if (config.oidc) {
    try {
      oidc = await discoverOidc(config.oidc);
    } catch (error) {
      await abort(`ROSTER_OIDC_ISSUER: ${(error as Error).message}`);
    }
  }
  const app = await buildApp({
    config,
    db: handle.db,
    watch: handle.watch,
    clock: systemClock,
    secretKey: boot.secretKey,
    oidc,
  });
  app.addHook('onClose', async () => handle.close());

  if (boot.adminUsernameMismatch) {
    app.log.warn(
      `ROSTER_ADMIN_USERNAME is '${config.adminUsername}' but the internal account is '${boot.adminUsernameMismatch}'; the existing account is kept`,
    );
  }
  if (boot.adminPasswordIgnored) {
    app.log.warn(
      'ROSTER_ADMIN_PASSWORD is not the password of the existing internal account and is ignored (it only sets the first one); to change it, run `roster admin reset-password`',
    );
  }

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    throw new StartupError(`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
  }
  const address = app.server.address();
  const url = typeof address === 'object' && address ? `http://${config.host}:${address.port}` : String(address);

  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      // A second signal: stop waiting for slow clients.
      app.server.closeAllConnections();
      return;
    }
    closing = true;
    const timeoutMs = config.shutdownTimeoutSeconds * 1000;
    app.log.info(
      { signal, timeout_seconds: config.shutdownTimeoutSeconds },
      'shutting down: draining requests in flight',
    );
    // Requests still open shortly before the deadline lose their connections, so that the
    // database closes cleanly in time; past the deadline the process leaves regardless.
    setTimeout(
      () => {
        app.log.warn('requests still open at the shutdown deadline; closing their connections');
        app.server.closeAllConnections();
      },
      Math.max(timeoutMs - 1000, timeoutMs * 0.8),
    ).unref();
    setTimeout(() => {
      app.log.error('shutdown did not finish in time; exiting');
      process.exit(0);
    }, timeoutMs).unref();
    app.close().then(
      () => {
        app.log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  onSignal = shutdown;
  process.stdout.write(
    `Roster is listening on ${url} (API docs: ${url}/docs, database: ${describeDatabaseUrl(config.databaseUrl)})\n`,
  );
}
