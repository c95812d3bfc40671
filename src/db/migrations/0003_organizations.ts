import { sql, type Kysely } from 'kysely';
import { columnTypes, engineOf } from '../dialect.js';

/** Organizations, workspaces, their members, and API keys of service accounts. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(engineOf(db));

  await db.schema
    .createTable('organizations')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_lower', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created', t.timestamp, (c) => c.notNull())
    .addColumn('updated', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('organization_members')
    .addColumn('organization_id', t.uuid, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('organization_members_pkey', ['organization_id', 'user_id'])
    .execute();
  await db.schema
    .createIndex('organization_members_user_id_idx')
    .on('organization_members')
    .column('user_id')
    .execute();

  await db.schema
    .createTable('workspaces')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('organization_id', t.uuid, (c) => c.notNull().references('organizations.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_lower', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created', t.timestamp, (c) => c.notNull())
    .addColumn('updated', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('workspaces_organization_name_key', ['organization_id', 'name_lower'])
    .execute();

  await db.schema
    .createTable('workspace_members')
    .addColumn('workspace_id', t.uuid, (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('workspace_members_pkey', ['workspace_id', 'user_id'])
    .execute();
  await db.schema.createIndex('workspace_members_user_id_idx').on('workspace_members').column('user_id').execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created', t.timestamp, (c) => c.notNull())
    .addColumn('expires', t.timestamp)
    .addColumn('last_used', t.timestamp)
    .execute();
  await db.schema.createIndex('api_keys_user_id_idx').on('api_keys').column('user_id').execute();

  // Sessions obtained by logging in with an API key end with the key.
  await db.schema
    .alterTable('sessions')
    .addColumn('api_key_id', t.uuid, (c) => c.references('api_keys.id').onDelete('cascade'))
    .execute();
  await db.schema.createIndex('sessions_api_key_id_idx').on('sessions').column('api_key_id').execute();
  // Service accounts of an organization. Partial: human accounts (almost all rows) have none, and
  // statistics over them would make the planner believe every organization has a million.
  await db.schema
    .createIndex('users_organization_id_idx')
    .on('users')
    .columns(['organization_id', 'created', 'id'])
    .where(sql.ref('organization_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('users_organization_id_idx').execute();
  await db.schema.dropIndex('sessions_api_key_id_idx').execute();
  await db.schema.alterTable('sessions').dropColumn('api_key_id').execute();
  for (const table of ['api_keys', 'workspace_members', 'workspaces', 'organization_members', 'organizations']) {
    await db.schema.dropTable(table).execute();
  }
}
