import { sql, type Kysely } from 'kysely';
import { columnTypes, engineOf } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(engineOf(db));

  await db.schema
    .createTable('users')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('username_lower', t.key, (c) => c.notNull().unique())
    .addColumn('email', 'text')
    .addColumn('email_lower', t.key, (c) => c.unique())
    .addColumn('name', 'text')
    .addColumn('name_lower', t.key)
    .addColumn('avatar_url', 'text')
    .addColumn('company', 'text')
    .addColumn('job_title', 'text')
    .addColumn('metadata', t.json, (c) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('oauth_provider', 'text')
    .addColumn('oauth_id', 'text')
    .addColumn('is_active', 'boolean', (c) => c.notNull())
    .addColumn('is_superuser', 'boolean', (c) => c.notNull())
    .addColumn('is_service_account', 'boolean', (c) => c.notNull())
    .addColumn('is_internal', 'boolean', (c) => c.notNull())
    .addColumn('is_onboarded', 'boolean', (c) => c.notNull())
    .addColumn('organization_id', t.uuid)
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('credential_version', 'integer', (c) => c.notNull())
    .addColumn('created', t.timestamp, (c) => c.notNull())
    .addColumn('updated', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('users_oauth_key', ['oauth_provider', 'oauth_id'])
    .execute();
  // The list order (creation order, ties by id) and keyset pagination walk this index.
  await db.schema.createIndex('users_created_id_idx').on('users').columns(['created', 'id']).execute();
  // Partial: only OAuth2 accounts have these, and statistics over the NULLs of every other
  // account would make the planner believe each provider has a million accounts.
  await db.schema
    .createIndex('users_oauth_id_idx')
    .on('users')
    .column('oauth_id')
    .where(sql.ref('oauth_id'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('users_oauth_provider_idx')
    .on('users')
    .columns(['oauth_provider', 'created', 'id'])
    .where(sql.ref('oauth_provider'), 'is not', null)
    .execute();
  // Prefix search on the name (username and email have their unique indexes); with the list
  // order's columns, so that a popular name sorts its matches without reading their rows.
  await db.schema.createIndex('users_name_lower_idx').on('users').columns(['name_lower', 'created', 'id']).execute();
  // The narrowest index over every row: counting all accounts (include_total) walks it.
  await db.schema.createIndex('users_is_active_idx').on('users').column('is_active').execute();
  // Flag filters, in list order: a rare value (is_active=false) is a range, not a walk of every row.
  for (const flag of ['is_active', 'is_superuser', 'is_service_account']) {
    await db.schema.createIndex(`users_${flag}_created_idx`).on('users').columns([flag, 'created', 'id']).execute();
  }

  await db.schema
    .createTable('sessions')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('credential_version', 'integer', (c) => c.notNull())
    .addColumn('created', t.timestamp, (c) => c.notNull())
    .addColumn('expires', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user_id_idx').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('settings').execute();
  await db.schema.dropTable('sessions').execute();
  await db.schema.dropTable('users').execute();
}
