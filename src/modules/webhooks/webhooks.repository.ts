import type { CompiledQuery, Kysely } from 'kysely';
import { compiledOnce, forNoKeyUpdate, skipLocked } from '../../db/dialect.js';
import type { Database } from '../../db/schema.js';
import type { DeliveryRecord, DeliveryStatus, WebhookRecord } from '../../domain/records.js';
import { readBool, readTimestamp } from '../../db/values.js';

export type { DeliveryRecord, WebhookRecord } from '../../domain/records.js';

/** A webhook with its sealed secret and its place in the outbox (for the delivery worker only). */
export interface WebhookWithSecret extends WebhookRecord {
  sealedSecret: string;
  /** The last event taken into its deliveries; null when an older version registered it. */
  queuedThrough: string | null;
}

type WebhookRow = {
  id: string;
  url: string;
  event_types: string | string[];
  description: string | null;
  secret: string;
  enabled: boolean | number;
  version: number;
  queued_through: string | null;
  created: string | Date;
  updated: string | Date;
};

function toWebhook(row: WebhookRow): WebhookWithSecret {
  return {
    id: row.id,
    url: row.url,
    event_types: typeof row.event_types === 'string' ? (JSON.parse(row.event_types) as string[]) : row.event_types,
    description: row.description,
    enabled: readBool(row.enabled),
    version: Number(row.version),
    created: readTimestamp(row.created),
    updated: readTimestamp(row.updated),
    sealedSecret: row.secret,
    queuedThrough: row.queued_through,
  };
}

type DeliveryRow = Omit<DeliveryRecord, 'next_attempt' | 'created' | 'updated' | 'first_attempt' | 'in_flight'> & {
  first_attempt: string | Date | null;
  locked_until: string | Date | null;
  next_attempt: string | Date;
  created: string | Date;
  updated: string | Date;
};

function toDelivery(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    webhook_id: row.webhook_id,
    event_id: row.event_id,
    status: row.status,
    attempts: Number(row.attempts),
    next_attempt: readTimestamp(row.next_attempt),
    response_code: row.response_code === null ? null : Number(row.response_code),
    last_error: row.last_error,
    first_attempt: row.first_attempt === null ? null : readTimestamp(row.first_attempt),
    in_flight: row.locked_until !== null,
    created: readTimestamp(row.created),
    updated: readTimestamp(row.updated),
  };
}

const DELIVERY_COLUMNS = [
  'webhook_deliveries.id',
  'webhook_deliveries.webhook_id',
  'webhook_deliveries.event_id',
  'webhook_deliveries.status',
  'webhook_deliveries.attempts',
  'webhook_deliveries.next_attempt',
  'webhook_deliveries.response_code',
  'webhook_deliveries.last_error',
  'webhook_deliveries.first_attempt',
  'webhook_deliveries.locked_until',
  'webhook_deliveries.created',
  'webhook_deliveries.updated',
] as const;

const DELIVERY_STATUSES: DeliveryStatus[] = ['pending', 'succeeded', 'failed'];

/** A webhook's oldest pending delivery, due and not leased. */
export interface ClaimableHead {
  id: string;
  webhook_id: string;
  next_attempt: string;
}

type HeadRow = { id: string; next_attempt: string | Date; locked_until: string | Date | null };

/** Due, and not leased (or its lease ran out). */
function claimable(row: HeadRow, now: string): boolean {
  return readTimestamp(row.next_attempt) <= now && (row.locked_until === null || readTimestamp(row.locked_until) < now);
}

/** A webhook's oldest pending delivery (the one that must go first). */
const HEAD = compiledOnce((db) =>
  db
    .selectFrom('webhook_deliveries')
    .select(['id', 'next_attempt', 'locked_until'])
    .where('webhook_id', '=', '')
    .where('status', '=', 'pending')
    .orderBy('event_id')
    .limit(1),
);

function compiledHead(db: Kysely<Database>, webhookId: string): CompiledQuery<HeadRow> {
  return HEAD(db, [webhookId, 'pending', 1]) as CompiledQuery<HeadRow>;
}

/** The enabled webhooks (the delivery worker reads them at every look). */
const LIST_ENABLED = compiledOnce((db) => db.selectFrom('webhooks').selectAll().where('enabled', '=', true));

export class WebhooksRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(values: {
    id: string;
    url: string;
    event_types: string[];
    description: string | null;
    secret: string;
    /** The last event before its first one. */
    queued_through: string;
    now: string;
  }): Promise<void> {
    const { now, event_types, ...rest } = values;
    await this.db
      .insertInto('webhooks')
      .values({
        ...rest,
        event_types: JSON.stringify(event_types),
        enabled: true,
        version: 1,
        created: now,
        updated: now,
      })
      .execute();
  }

  async findById(id: string, lock = false): Promise<WebhookWithSecret | undefined> {
    const query = this.db.selectFrom('webhooks').selectAll().where('id', '=', id);
    // A lock that inserts of its deliveries (which reference the row) pass.
    const row = await (lock ? forNoKeyUpdate(this.db, query) : query).executeTakeFirst();
    return row && toWebhook(row as WebhookRow);
  }

  async list(): Promise<WebhookWithSecret[]> {
    const rows = await this.db.selectFrom('webhooks').selectAll().orderBy('created').orderBy('id').execute();
    return rows.map((row) => toWebhook(row as WebhookRow));
  }

  /** The enabled webhooks (the delivery worker queues and claims their deliveries). */
  async listEnabled(): Promise<WebhookWithSecret[]> {
    return (await this.db.executeQuery(LIST_ENABLED(this.db, [true]))).rows.map((row) => toWebhook(row as WebhookRow));
  }

  async update(
    id: string,
    values: { url?: string; event_types?: string[]; description?: string | null; enabled?: boolean },
    now: string,
  ): Promise<void> {
    const { event_types, ...rest } = values;
    await this.db
      .updateTable('webhooks')
      .set({ ...rest, ...(event_types ? { event_types: JSON.stringify(event_types) } : {}), updated: now })
      .set((eb) => ({ version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .execute();
  }

  /**
   * The webhook's row, for queueing its deliveries: locked until the
   * transaction ends, or undefined when another transaction holds it (another
   * instance queueing, a change of the webhook) or it is gone.
   */
  async lockForQueueing(id: string): Promise<WebhookWithSecret | undefined> {
    const row = await skipLocked(
      this.db,
      this.db.selectFrom('webhooks').selectAll().where('id', '=', id),
      'webhooks',
    ).executeTakeFirst();
    return row && toWebhook(row as WebhookRow);
  }

  /** Moves the webhook's place in the outbox: the events up to `eventId` are queued (or not for it). */
  async setQueuedThrough(id: string, eventId: string): Promise<void> {
    await this.db.updateTable('webhooks').set({ queued_through: eventId }).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /**
   * Queues deliveries of events to a webhook (with `setQueuedThrough`, in one
   * transaction), in event order, all to one webhook. With `lease`, the
   * first `lease.count` are claimed at once, as `claimHeads` would (their
   * first attempt starts now), and answered.
   */
  async enqueue(
    rows: { id: string; webhook_id: string; event_id: string }[],
    now: string,
    lease?: { until: string; count: number },
  ): Promise<DeliveryRecord[]> {
    if (rows.length === 0) return [];
    // Events that already have a delivery to this webhook are skipped: an older version, during a
    // rolling upgrade, still queues in the event's own transaction (so the row is there as soon as
    // the event is). The index on (webhook, status, event) finds them in three short ranges.
    const existing = new Set(
      (
        await this.db
          .selectFrom('webhook_deliveries')
          .select('event_id')
          .where('webhook_id', '=', rows[0]!.webhook_id)
          .where('status', 'in', DELIVERY_STATUSES)
          .where('event_id', '>=', rows[0]!.event_id)
          .where('event_id', '<=', rows.at(-1)!.event_id)
          .execute()
      ).map((row) => row.event_id),
    );
    if (existing.size > 0) rows = rows.filter((row) => !existing.has(row.event_id));
    if (rows.length === 0) return [];
    const leased = lease ? Math.min(lease.count, rows.length) : 0;
    const values = rows.map((row, i) => ({
      ...row,
      status: 'pending' as const,
      attempts: i < leased ? 1 : 0,
      next_attempt: now,
      first_attempt: i < leased ? now : null,
      locked_until: i < leased ? lease!.until : null,
      response_code: null,
      last_error: null,
      created: now,
      updated: now,
    }));
    await this.db.insertInto('webhook_deliveries').values(values).execute();
    return values.slice(0, leased).map((row) => toDelivery(row));
  }

  /** Whether the webhook has a delivery still to make (due or not, leased or not). */
  async hasPending(webhookId: string): Promise<boolean> {
    return (await this.db.executeQuery(compiledHead(this.db, webhookId))).rows.length > 0;
  }

  /** A webhook's deliveries, newest first. */
  async deliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .select(DELIVERY_COLUMNS)
      .where('webhook_id', '=', webhookId)
      .orderBy('event_id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toDelivery);
  }

  async findDelivery(webhookId: string, id: string): Promise<DeliveryRecord | undefined> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select(DELIVERY_COLUMNS)
      .where('webhook_id', '=', webhookId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toDelivery(row);
  }

  /**
   * The oldest pending delivery of each of `webhookIds` (each one index
   * lookup), when it can be claimed: due, and not leased by an instance. A
   * read, so that idle polling takes no write lock; `claimHeads` checks again
   * under lock.
   */
  async claimableHeads(webhookIds: readonly string[], now: string): Promise<ClaimableHead[]> {
    const heads: ClaimableHead[] = [];
    for (const webhookId of webhookIds) {
      const head = await this.db.executeQuery(compiledHead(this.db, webhookId));
      const row = head.rows[0];
      if (row && claimable(row, now))
        heads.push({ id: row.id, webhook_id: webhookId, next_attempt: readTimestamp(row.next_attempt) });
    }
    return heads;
  }

  /**
   * Takes the heads found by `claimableHeads` for `leaseUntil`, each with up
   * to `batch - 1` of the deliveries behind it (sent in one go, in order).
   * A head that another transaction is claiming right now (a row lock on
   * PostgreSQL), or that changed meanwhile, is skipped, not waited for.
   */
  async claimHeads(
    heads: readonly { id: string; webhook_id: string }[],
    now: string,
    leaseUntil: string,
    batch: number,
  ): Promise<DeliveryRecord[]> {
    const ids: string[] = [];
    for (const head of heads) {
      const locked = await skipLocked(
        this.db,
        this.db
          .selectFrom('webhook_deliveries')
          .select(['id', 'event_id', 'status', 'next_attempt', 'locked_until'])
          .where('id', '=', head.id),
        'webhook_deliveries',
      ).executeTakeFirst();
      if (locked?.status !== 'pending' || !claimable(locked, now)) continue;
      ids.push(locked.id);
      if (batch <= 1) continue;
      // Behind the head, the next deliveries of its webhook, in event order.
      const followers = this.db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('webhook_id', '=', head.webhook_id)
        .where('status', '=', 'pending')
        .where('event_id', '>', locked.event_id)
        .where('next_attempt', '<=', now)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
        .orderBy('event_id')
        .limit(batch - 1);
      for (const row of await skipLocked(this.db, followers, 'webhook_deliveries').execute()) ids.push(row.id);
    }
    if (ids.length === 0) return [];
    const rows = await this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        locked_until: leaseUntil,
        attempts: eb('attempts', '+', 1),
        first_attempt: eb.fn.coalesce('first_attempt', eb.val(now)) as never,
      }))
      .where('id', 'in', ids)
      .returning(DELIVERY_COLUMNS.map((c) => c.replace('webhook_deliveries.', '')) as never)
      .execute();
    return (rows as unknown as DeliveryRow[]).map(toDelivery);
  }

  /** Records the outcome of an attempt and lets go of the lease. */
  async finish(
    id: string,
    outcome: {
      status: DeliveryStatus;
      nextAttempt: string;
      responseCode: number | null;
      error: string | null;
      now: string;
    },
  ): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({
        status: outcome.status,
        next_attempt: outcome.nextAttempt,
        response_code: outcome.responseCode,
        last_error: outcome.error,
        locked_until: null,
        updated: outcome.now,
      })
      .where('id', '=', id)
      .execute();
  }

  /** Records deliveries that succeeded (a batch, in one statement). */
  async succeeded(ids: string[], responseCode: number, now: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('webhook_deliveries')
      .set({ status: 'succeeded', response_code: responseCode, last_error: null, locked_until: null, updated: now })
      .where('id', 'in', ids)
      .execute();
  }

  /** Lets go of a lease without counting the attempt (the instance stops before it sent). */
  async release(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('webhook_deliveries')
      .set({ locked_until: null })
      .set((eb) => ({ attempts: eb('attempts', '-', 1) }))
      .where('id', 'in', ids)
      .execute();
  }

  /** Makes a delivery due now again (a manual retry), whatever its status. */
  async retryNow(id: string, now: string): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt: now, locked_until: null, updated: now })
      .where('id', '=', id)
      .execute();
  }
}
