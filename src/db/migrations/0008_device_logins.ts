import type { Kysely } from 'kysely';
import { columnTypes, engineOf } from '../dialect.js';

/**
 * Device logins under way (API.md 3.4, RFC 8628): a command-line client
 * holds the device code (stored as its hash), a person approves the short
 * user code from a signed-in session, and the client's next poll takes the
 * token, once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(engineOf(db));
  await db.schema
    .createTable('device_logins')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('device_code_hash', 'text', (c) => c.notNull().unique())
    .addColumn('user_code', 'text', (c) => c.notNull().unique())
    .addColumn('client_id', 'text')
    .addColumn('address_key', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('user_id', t.uuid, (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('credential_version', 'integer')
    .addColumn('interval', 'integer', (c) => c.notNull())
    .addColumn('last_poll', t.timestamp)
    .addColumn('created', t.timestamp, (c) => c.notNull())
    .addColumn('expires', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('device_logins_address_idx')
    .on('device_logins')
    .columns(['address_key', 'expires'])
    .execute();
  await db.schema.createIndex('device_logins_expires_idx').on('device_logins').column('expires').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('device_logins').execute();
}
