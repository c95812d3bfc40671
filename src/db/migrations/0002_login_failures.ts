import type { Kysely } from 'kysely';
import { columnTypes, engineOf } from '../dialect.js';

/** Failed-login counters, shared by every instance on the database. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(engineOf(db));
  await db.schema
    .createTable('login_failures')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('resets_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('login_failures_resets_at_idx').on('login_failures').column('resets_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('login_failures').execute();
}
