import type { Kysely } from 'kysely';
import { columnTypes, engineOf } from '../dialect.js';

/**
 * The audit log (API.md 7) and webhooks with their outbox of deliveries (8).
 * Events are never updated; deliveries go with their event when it is pruned
 * and with their webhook when it is deleted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t = columnTypes(engineOf(db));
  await db.schema
    .createTable('events')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('occurred', t.timestamp, (c) => c.notNull())
    .addColumn('actor_id', t.uuid)
    .addColumn('actor_username', 'text')
    .addColumn('actor_kind', 'text')
    .addColumn('target_type', 'text')
    .addColumn('target_id', t.uuid)
    .addColumn('organization_id', t.uuid)
    .addColumn('changes', t.json, (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('request_ip', 'text')
    .addColumn('request_user_agent', 'text')
    .execute();
  for (const column of ['actor_id', 'target_id', 'organization_id', 'occurred'] as const) {
    await db.schema.createIndex(`events_${column}_idx`).on('events').columns([column, 'id']).execute();
  }

  await db.schema
    .createTable('webhooks')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('event_types', t.json, (c) => c.notNull())
    .addColumn('description', 'text')
    /** The signing secret, sealed with the service's secret key. */
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created', t.timestamp, (c) => c.notNull())
    .addColumn('updated', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('webhook_id', t.uuid, (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('event_id', t.uuid, (c) => c.notNull().references('events.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt', t.timestamp, (c) => c.notNull())
    .addColumn('first_attempt', t.timestamp)
    .addColumn('locked_until', t.timestamp)
    .addColumn('response_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created', t.timestamp, (c) => c.notNull())
    .addColumn('updated', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_pending_idx')
    .on('webhook_deliveries')
    .columns(['status', 'next_attempt'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_webhook_idx')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'status', 'event_id'])
    .execute();
  await db.schema.createIndex('webhook_deliveries_event_idx').on('webhook_deliveries').column('event_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhooks').execute();
  await db.schema.dropTable('events').execute();
}
