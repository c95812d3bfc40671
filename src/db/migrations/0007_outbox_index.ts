import type { Kysely } from 'kysely';

/**
 * The delivery worker finds each webhook's next delivery through
 * `webhook_deliveries_webhook_idx` (webhook, status, event): the index on
 * (status, next attempt) is no longer read, and every queued delivery paid
 * for writing it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_pending_idx').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('webhook_deliveries_pending_idx')
    .on('webhook_deliveries')
    .columns(['status', 'next_attempt'])
    .execute();
}
