import { type Kysely, sql } from 'kysely';
import { columnTypes, engineOf } from '../dialect.js';

/**
 * The outbox becomes the events table itself: each webhook records the last
 * event it has taken into its deliveries (`queued_through`), and the delivery
 * worker queues the events after it, many in one transaction, instead of
 * every change writing a delivery row per webhook in its own transaction.
 * Events before this migration already have their delivery rows.
 *
 * Null: a webhook registered by an older version during a rolling upgrade
 * (its inserts do not name the column); the worker then starts it at its
 * `webhook.created` event.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(engineOf(db));
  await db.schema.alterTable('webhooks').addColumn('queued_through', t.uuid).execute();
  // The newest event (PostgreSQL has no max() of uuid; ids order the same way in both engines).
  await sql`update webhooks set queued_through =
    coalesce((select id from events order by id desc limit 1), '00000000-0000-0000-0000-000000000000')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('webhooks').dropColumn('queued_through').execute();
}
