import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { currentSchema } from './dialect.js';
import * as m0001 from './migrations/0001_users_and_sessions.js';
import * as m0002 from './migrations/0002_login_failures.js';
import * as m0003 from './migrations/0003_organizations.js';
import * as m0004 from './migrations/0004_sso_logins.js';
import * as m0005 from './migrations/0005_security.js';
import * as m0006 from './migrations/0006_events_and_webhooks.js';
import * as m0007 from './migrations/0007_outbox_index.js';
import * as m0008 from './migrations/0008_device_logins.js';
import * as m0009 from './migrations/0009_webhook_queue.js';
import * as m0010 from './migrations/0010_user_count.js';

/** Every migration, in order. One set serves both engines. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_users_and_sessions': m0001,
  '0002_login_failures': m0002,
  '0003_organizations': m0003,
  '0004_sso_logins': m0004,
  '0005_security': m0005,
  '0006_events_and_webhooks': m0006,
  '0007_outbox_index': m0007,
  '0008_device_logins': m0008,
  '0009_webhook_queue': m0009,
  '0010_user_count': m0010,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/** Raised when the database holds migrations this build does not know (it is newer than the code). */
export class SchemaTooNewError extends Error {}

/** Raised at startup when migrations are pending and automatic migration is off. */
export class SchemaBehindError extends Error {}

async function prepare(db: Kysely<any>) {
  // On PostgreSQL the migration table lives in the connection's own schema, so that
  // another schema's bookkeeping (another app, another test) is never mistaken for ours.
  const schema = await currentSchema(db);
  const applied = await appliedNames(db, schema);
  const unknown = applied.filter((name) => !(name in MIGRATIONS));
  if (unknown.length > 0) {
    throw new SchemaTooNewError(
      `the database schema is newer than this version of Roster (unknown migrations: ${unknown.join(', ')}); upgrade Roster`,
    );
  }
  const migrator = new Migrator({
    db,
    provider: new StaticMigrationProvider(),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  return { migrator, pending: Object.keys(MIGRATIONS).filter((name) => !applied.includes(name)) };
}

/** Checks, without changing anything, that the schema is exactly what this build expects. */
export async function assertSchemaCurrent(db: Kysely<any>): Promise<void> {
  const { pending } = await prepare(db);
  if (pending.length > 0) {
    throw new SchemaBehindError(
      `the database schema is behind this version of Roster (pending migrations: ${pending.join(', ')}); run \`roster migrate\` (\`npm run roster -- migrate\` in a checkout)`,
    );
  }
}

/**
 * The migrations this build needs that the database lacks (readiness). A
 * schema that is ahead (a newer version migrated it during a rolling
 * upgrade) is not a reason to stop serving: migrations only add.
 */
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const applied = await appliedNames(db, await currentSchema(db));
  return Object.keys(MIGRATIONS).filter((name) => !applied.includes(name));
}

/** Applies migrations up to and including `name` (tests of upgrades start from an older schema). */
export async function migrateTo(db: Kysely<any>, name: string): Promise<void> {
  const { migrator } = await prepare(db);
  const { error } = await migrator.migrateTo(name);
  if (error) throw error;
}

/** Applies pending migrations and returns their names; refuses a database whose schema is newer than the code. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const { migrator } = await prepare(db);
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

async function appliedNames(db: Kysely<any>, schema: string | undefined): Promise<string[]> {
  try {
    const table = schema ? db.withSchema(schema) : db;
    const rows = await table.selectFrom('kysely_migration').select('name').execute();
    return rows.map((r: { name: string }) => r.name);
  } catch {
    return []; // no migration table yet: a fresh database
  }
}
