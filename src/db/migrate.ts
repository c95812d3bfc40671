import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { engineOf } from './dialect.js';
import * as m0001 from './migrations/0001_users_and_sessions.js';

/** Every migration, in order. One set serves both engines. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_users_and_sessions': m0001,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/** Raised when the database holds migrations this build does not know (it is newer than the code). */
export class SchemaTooNewError extends Error {}

/** Applies pending migrations and returns their names; refuses a database whose schema is newer than the code. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  // On PostgreSQL the migration table lives in the connection's own schema, so that
  // another schema's bookkeeping (another app, another test) is never mistaken for ours.
  const schema =
    engineOf(db) === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({
    db,
    provider: new StaticMigrationProvider(),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const known = new Set(Object.keys(MIGRATIONS));
  const unknown = (await appliedNames(db, schema)).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new SchemaTooNewError(
      `the database schema is newer than this version of Roster (unknown migrations: ${unknown.join(', ')}); upgrade Roster`,
    );
  }
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
