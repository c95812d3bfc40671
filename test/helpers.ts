/**
 * Test harness: every app gets its own freshly migrated database (a SQLite
 * file, or a PostgreSQL schema when ROSTER_TEST_DATABASE_URL is set), a
 * controllable clock, and a known internal admin password.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { bootstrap } from '../src/bootstrap.js';
import { loadConfig, type Config } from '../src/config.js';
import { openDatabase, type DatabaseHandle, type Engine } from '../src/db/dialect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { SessionsRepository } from '../src/modules/sessions/sessions.repository.js';
import { UsersRepository } from '../src/modules/users/users.repository.js';
import type { OidcClient } from '../src/modules/sso/oidc-client.js';

export const ADMIN_PASSWORD = 'admin-password-1';
export const PASSWORD = 'correct-horse-battery';

/** The engines every suite runs on: SQLite always, PostgreSQL when its URL is given. */
export function engines(): Engine[] {
  return process.env.ROSTER_TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

export class TestClock {
  #now = Date.parse('2026-11-27T12:00:00.000Z');
  now = (): Date => new Date(this.#now);
  advance(seconds: number): void {
    this.#now += seconds * 1000;
  }
}

export interface TestApp {
  app: FastifyInstance;
  /** Repositories for tests that write or read below the services. */
  repos: { users: UsersRepository; sessions: SessionsRepository };
  handle: DatabaseHandle;
  clock: TestClock;
  config: Config;
  engine: Engine;
  /** The URL another process (or the command line) uses to reach this app's database. */
  databaseUrl: string;
  /** A token of the internal admin. */
  adminToken: string;
  /** The service's secret key (another instance on the same database needs it). */
  secretKey: string;
  close(): Promise<void>;
}

const tempDirs: string[] = [];
process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

export interface FreshDatabase {
  url: string;
  /** PostgreSQL: the schema this database lives in. */
  schema?: string;
  /** The URL a separate Roster process uses to reach this database (schema included). */
  processUrl: string;
  drop(): Promise<void>;
}

/** A database of its own for one test app (a SQLite file or a PostgreSQL schema), and how to drop it. */
export async function freshDatabase(engine: Engine): Promise<FreshDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'roster-test-'));
    tempDirs.push(dir);
    const url = `sqlite:${join(dir, 'roster.db')}`;
    return { url, processUrl: url, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const url = process.env.ROSTER_TEST_DATABASE_URL!;
  const schema = `roster_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  return {
    url,
    schema,
    processUrl: `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    drop: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

/** Builds a Roster app on a fresh database. `env` overrides settings, as the environment would. */
export async function createTestApp(
  engine: Engine = 'sqlite',
  env: Record<string, string> = {},
  /** `background: false`: no delivery worker, no pruning (tests that drive them themselves). */
  options: { oidc?: OidcClient; logger?: object; background?: boolean } = {},
): Promise<TestApp> {
  const database = await freshDatabase(engine);
  const config = loadConfig({
    ROSTER_DATABASE_URL: database.url,
    ROSTER_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ROSTER_LOG_LEVEL: 'silent',
    ...env,
  });
  const handle = await openDatabase(config.databaseUrl, {
    poolSize: 5,
    ...(database.schema ? { schema: database.schema } : {}),
  });
  await migrateToLatest(handle.db);
  const repos = { users: new UsersRepository(handle.db), sessions: new SessionsRepository(handle.db) };
  const clock = new TestClock();
  const { secretKey } = await bootstrap(handle.db, config, clock.now);
  const app = await buildApp({
    config,
    db: handle.db,
    watch: handle.watch,
    clock: clock.now,
    secretKey,
    logger: options.logger ?? false,
    ...(options.oidc ? { oidc: options.oidc } : {}),
    ...(options.background === false ? { background: false } : {}),
  });
  await app.ready();
  const adminToken = await login(app, config.adminUsername, ADMIN_PASSWORD);
  return {
    app,
    repos,
    handle,
    clock,
    config,
    engine,
    databaseUrl: database.processUrl,
    adminToken,
    secretKey,
    close: async () => {
      await app.close();
      await handle.close();
      await database.drop();
    },
  };
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

export async function login(app: FastifyInstance, username: string, password: string): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  if (response.statusCode !== 200)
    throw new Error(`login of ${username} failed: ${response.statusCode} ${response.body}`);
  return response.json().access_token as string;
}

let counter = 0;

/** Creates a local account through the API (as the admin) and returns its UserRead. */
export async function createUser(
  t: Pick<TestApp, 'app' | 'adminToken'>,
  fields: Record<string, unknown> = {},
): Promise<Record<string, any>> {
  counter += 1;
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: bearer(t.adminToken),
    payload: { username: `user${counter}-${randomBytes(3).toString('hex')}`, password: PASSWORD, ...fields },
  });
  if (response.statusCode !== 201) throw new Error(`createUser failed: ${response.statusCode} ${response.body}`);
  return response.json();
}

/** Creates a local account and logs it in. */
export async function createUserWithToken(
  t: Pick<TestApp, 'app' | 'adminToken'>,
  fields: Record<string, unknown> = {},
): Promise<{ user: Record<string, any>; token: string }> {
  const user = await createUser(t, fields);
  return { user, token: await login(t.app, user.username, PASSWORD) };
}

/** The `detail` of a domain error response: [name, message]. */
export function detail(response: LightMyRequestResponse): [string, string] {
  return response.json().detail as [string, string];
}

/**
 * A complete `users` row as the schema before migration 0005 holds it (no
 * `email_verified`, which then defaults to false), for tests that write below
 * the services: upgrades, and accounts placed in the way of a bulk load.
 */
export function rawUserRow(
  id: string,
  username: string,
  email: string | null,
  options: { oauthProvider?: string; now?: string } = {},
) {
  const now = options.now ?? new Date().toISOString();
  const oauth = options.oauthProvider ?? null;
  return {
    id,
    username,
    username_lower: username.toLowerCase(),
    email,
    email_lower: email?.toLowerCase() ?? null,
    name: null,
    name_lower: null,
    avatar_url: null,
    company: null,
    job_title: null,
    metadata: '{}',
    password_hash: null,
    oauth_provider: oauth,
    oauth_id: oauth ? `sub-${id}` : null,
    is_active: true,
    is_superuser: false,
    is_service_account: false,
    is_internal: false,
    is_onboarded: false,
    organization_id: null,
    version: 1,
    credential_version: 1,
    created: now,
    updated: now,
  };
}
