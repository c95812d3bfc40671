/** Roster's entry point: read the configuration, prepare the database, listen, close gracefully. */
import { buildApp } from './app.js';
import { bootstrap } from './bootstrap.js';
import { systemClock } from './clock.js';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config.js';
import { openDatabase } from './db/dialect.js';
import { assertSchemaCurrent, migrateToLatest } from './db/migrate.js';
import { Store } from './store.js';
import { discoverOidc, type OidcClient } from './modules/sso/oidc-client.js';

function fail(message: string): never {
  process.stderr.write(`roster: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    loadDotEnv();
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }

  const handle = await openDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
  try {
    if (config.migrateOnStart) await migrateToLatest(handle.db);
    else await assertSchemaCurrent(handle.db);
  } catch (error) {
    await handle.close().catch(() => undefined);
    fail(`cannot prepare the database (${describeUrl(config.databaseUrl)}): ${(error as Error).message}`);
  }
  const store = new Store(handle.db);
  const boot = await bootstrap(store, config, systemClock);
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
      await handle.close().catch(() => undefined);
      fail(`ROSTER_OIDC_ISSUER: ${(error as Error).message}`);
    }
  }
  const app = await buildApp({ config, store, clock: systemClock, secretKey: boot.secretKey, oidc });
  app.addHook('onClose', async () => handle.close());

  if (boot.adminUsernameMismatch) {
    app.log.warn(
      `ROSTER_ADMIN_USERNAME is '${config.adminUsername}' but the internal account is '${boot.adminUsernameMismatch}'; the existing account is kept`,
    );
  }

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    fail(`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
  }
  const address = app.server.address();
  const url = typeof address === 'object' && address ? `http://${config.host}:${address.port}` : String(address);
  process.stdout.write(
    `Roster is listening on ${url} (API docs: ${url}/docs, database: ${describeUrl(config.databaseUrl)})\n`,
  );

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      app.log.info({ signal }, 'shutting down');
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

/** The database URL without its password (in the credentials or the query), for messages. */
function describeUrl(url: string): string {
  if (url.startsWith('sqlite:')) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass|secret|key/i.test(key)) parsed.searchParams.set(key, '***');
    }
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`roster: failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
