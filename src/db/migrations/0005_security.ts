import { sql, type Kysely } from 'kysely';
import { columnTypes, engineOf } from '../dialect.js';

/**
 * Security gaps closed: verified emails (an unverified one reserves nothing
 * against a provider's verified claim), failed-login counters per (name,
 * address) that can be cleared by account, pending SSO logins bounded per
 * client address, and invitations (nobody joins an organization without
 * accepting).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const engine = engineOf(db);
  const t = columnTypes(engine);

  await db.schema
    .alterTable('users')
    .addColumn('email_verified', 'boolean', (c) => c.notNull().defaultTo(engine === 'postgres' ? sql`false` : 0))
    .execute();
  // Emails that came from a provider are verified; which local emails a superuser set is not
  // known, so they start unverified (a provider's verified claim then takes precedence).
  await sql`update users set email_verified = ${engine === 'postgres' ? sql`true` : sql`1`}
            where email is not null and oauth_provider is not null`.execute(db);

  // A username containing '@' must now be the account's own verified email. Accounts that took
  // another address as their username before this rule (a local account renamed
  // 'alice@example.com', a service account named like an email) could catch Alice's logins and
  // block her first single sign-on: they are renamed 'renamed-<id>', which keeps them usable by
  // their owners (through a superuser) and frees the address. An account whose username is its
  // own email keeps it.
  const id = engine === 'postgres' ? sql`id::text` : sql`id`;
  await sql`update users set username = 'renamed-' || ${id}, username_lower = 'renamed-' || ${id}, version = version + 1
            where oauth_provider is null and username_lower like '%@%'
              and (email_lower is null or email_lower <> username_lower)`.execute(db);

  // Counters are now kept per (name typed, address); the old ones (per account) are dropped.
  await sql`delete from login_failures`.execute(db);
  await db.schema.alterTable('login_failures').addColumn('name_key', 'text').execute();
  await db.schema.createIndex('login_failures_name_key_idx').on('login_failures').column('name_key').execute();

  await sql`delete from sso_logins`.execute(db);
  await db.schema
    .alterTable('sso_logins')
    .addColumn('address_key', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema.createIndex('sso_logins_address_key_idx').on('sso_logins').column('address_key').execute();

  await db.schema
    .createTable('invitations')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('organization_id', t.uuid, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('email_lower', t.key)
    .addColumn('user_id', t.uuid, (c) => c.references('users.id').onDelete('cascade'))
    // The inviter may be deleted later; the invitation keeps its id.
    .addColumn('invited_by', t.uuid, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created', t.timestamp, (c) => c.notNull())
    .addColumn('expires', t.timestamp, (c) => c.notNull())
    .addColumn('updated', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('invitations_organization_id_idx')
    .on('invitations')
    .columns(['organization_id', 'created'])
    .execute();
  await db.schema.createIndex('invitations_user_id_idx').on('invitations').column('user_id').execute();
  await db.schema.createIndex('invitations_email_lower_idx').on('invitations').column('email_lower').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('invitations').execute();
  await db.schema.dropIndex('sso_logins_address_key_idx').execute();
  await db.schema.alterTable('sso_logins').dropColumn('address_key').execute();
  await db.schema.dropIndex('login_failures_name_key_idx').execute();
  await db.schema.alterTable('login_failures').dropColumn('name_key').execute();
  await db.schema.alterTable('users').dropColumn('email_verified').execute();
}
