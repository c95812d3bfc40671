import { type Kysely, sql } from 'kysely';
import { columnTypes, engineOf } from '../dialect.js';

/** Before every event (the nil UUID): a webhook that has queued nothing yet. */
const BEFORE_EVERY_EVENT = '00000000-0000-0000-0000-000000000000';

/**
 * The outbox becomes the events table itself: each webhook records the last
 * event it has taken into its deliveries (`queued_through`), and the delivery
 * worker queues the events after it, many in one transaction, instead of
 * every change writing a delivery row per webhook in its own transaction.
 * Events before this migration already have their delivery rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(engineOf(db));
  await db.schema
    .alterTable('webhooks')
    .addColumn('queued_through', t.uuid, (c) => c.notNull().defaultTo(BEFORE_EVERY_EVENT))
    .execute();
  // The newest event (PostgreSQL has no max() of uuid; ids order the same way in both engines).
  await sql`update webhooks set queued_through = (select id from events order by id desc limit 1)
    where exists (select 1 from events)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('webhooks').dropColumn('queued_through').execute();
}
