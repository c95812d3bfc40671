import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
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

/** Applies pending migrations; refuses a database whose schema is newer than the code. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
  const known = new Set(Object.keys(MIGRATIONS));
  const applied = (await migrator.getMigrations()).filter((m) => m.executedAt !== undefined).map((m) => m.name);
  const unknown = (await appliedNames(db)).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new SchemaTooNewError(
      `the database schema is newer than this version of Roster (unknown migrations: ${unknown.join(', ')}); upgrade Roster`,
    );
  }
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName).filter((n) => !applied.includes(n));
}

async function appliedNames(db: Kysely<any>): Promise<string[]> {
  try {
    const rows = await db.selectFrom('kysely_migration').select('name').execute();
    return rows.map((r: { name: string }) => r.name);
  } catch {
    return []; // no migration table yet: a fresh database
  }
}
