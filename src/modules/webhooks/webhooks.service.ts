import { randomBytes } from 'node:crypto';
import { newId } from '../../domain/ids.js';
import * as access from '../../auth/access.js';
import { eventBy, type Principal } from '../../auth/access.js';
import type { SecretBox } from '../../auth/secrets.js';
import type { Clock } from '../../clock.js';
import type { Transactor, Tx } from '../../db/transactions.js';
import { EntityExistsError, IllegalOperationError, InvalidInput, KeyError, ValueError } from '../../domain/errors.js';
import {
  type Changes,
  changesOf,
  EVENT_TYPES,
  BEFORE_EVERY_EVENT,
  type EventDraft,
  type EventRecord,
  SYSTEM_ACTOR,
  typeMatches,
} from '../../domain/events.js';
import type { EventsService } from '../events/events.service.js';
import { destinationProblem } from './destination.js';
import type { AttemptOutcome } from './sender.js';
import type { DeliveryRecord, WebhookRecord, WebhooksRepository, WebhookWithSecret } from './webhooks.repository.js';

export interface WebhookInput {
  url?: string;
  event_types?: string[];
  description?: string | null;
  enabled?: boolean;
}

/** How deliveries are retried: the first retry after `retryBaseSeconds`, doubling up to an hour, for 25 hours. */
export interface RetryPolicy {
  retryBaseSeconds: number;
}

export type { AttemptOutcome } from './sender.js';

/** Deliveries are retried for at least this long after they were queued (API.md 8: at least 24 hours). */
export const RETRY_WINDOW_MS = 25 * 3600 * 1000;
const MAX_RETRY_DELAY_MS = 3600 * 1000;

/** Claimed deliveries to one webhook, in event order, with what sending them needs. */
export interface DeliveryBatch {
  webhookId: string;
  url: string;
  secret: string;
  jobs: { delivery: DeliveryRecord; event: EventRecord }[];
}

/** How `claim` takes deliveries while they are queued (see `queueNew`). */
interface QueueClaim {
  limit: number;
  batch: number;
  busy: ReadonlySet<string>;
  leaseMs: number;
}

/** Events read at once when a webhook's deliveries are queued (a transaction each). */
const QUEUE_BATCH = 1000;
/** Batches of events queued per webhook at one look of the worker (the rest at the next looks). */
const QUEUE_ROUNDS = 5;

const KNOWN_PATTERNS = new Set<string>(['*', ...EVENT_TYPES, ...EVENT_TYPES.map((t) => `${t.split('.')[0]}.*`)]);

/**
 * Webhooks (API.md 8): superusers register endpoints; the delivery worker of
 * any instance sends them the events whose types match.
 *
 * The outbox is the events table: every event is written in the transaction
 * of its change, and each webhook records the last event it has taken into
 * its deliveries (`queued_through`). The worker queues the events after that
 * place, many in one transaction (`queueNew`), so a change pays nothing more
 * for a webhook than for none, and a crash loses nothing: the events after
 * the place are queued after the restart. A change of the webhook first
 * queues what came before it under its old settings (`catchUp`).
 */
export class WebhooksService {
  constructor(
    private readonly unit: Transactor<{ webhooks: WebhooksRepository }>,
    private readonly clock: Clock,
    private readonly events: EventsService,
    private readonly secrets: SecretBox,
    private readonly settings: { allowPrivate: boolean } & RetryPolicy,
  ) {}

  async create(principal: Principal, input: Required<Pick<WebhookInput, 'url' | 'event_types'>> & WebhookInput) {
    this.allowed(principal);
    await this.checkInput(input);
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    return this.unit.run(async ({ webhooks }, tx) => {
      const id = newId();
      // Its deliveries start after the newest event (under the lock, none can commit before it).
      await this.events.lockFirst(tx);
      await webhooks.insert({
        id,
        url: input.url,
        event_types: input.event_types,
        description: input.description ?? null,
        secret: this.secrets.seal(secret),
        queued_through: (await this.events.lastId(tx)) ?? BEFORE_EVERY_EVENT,
        now: this.now(),
      });
      const created = (await webhooks.findById(id))!;
      this.events.record(tx, webhookEvent('webhook.created', principal, null, created));
      return { ...publicWebhook(created), secret };
    });
  }

  async list(principal: Principal): Promise<WebhookRecord[]> {
    this.allowed(principal);
    return (await this.unit.repos.webhooks.list()).map(publicWebhook);
  }

  async get(principal: Principal, webhookId: string): Promise<WebhookRecord> {
    this.allowed(principal);
    return publicWebhook(await this.found(this.unit.repos.webhooks, webhookId));
  }

  async update(principal: Principal, webhookId: string, input: WebhookInput): Promise<WebhookRecord> {
    this.allowed(principal);
    await this.checkInput(input);
    return this.unit.run(async ({ webhooks }, tx) => {
      await this.events.lockFirst(tx);
      const before = await this.found(webhooks, webhookId, true);
      await this.catchUp(tx, before);
      await webhooks.update(webhookId, input, this.now());
      const after = (await webhooks.findById(webhookId))!;
      const event = webhookEvent('webhook.updated', principal, before, after);
      if (Object.keys(event.changes ?? {}).length > 0) this.events.record(tx, event);
      return publicWebhook(after);
    });
  }

  async delete(principal: Principal, webhookId: string): Promise<void> {
    this.allowed(principal);
    await this.unit.run(async ({ webhooks }, tx) => {
      await this.events.lockFirst(tx);
      const before = await this.found(webhooks, webhookId, true);
      await webhooks.delete(webhookId);
      this.events.record(tx, webhookEvent('webhook.deleted', principal, before, null));
    });
  }

  async deliveries(principal: Principal, webhookId: string, limit: number): Promise<DeliveryRecord[]> {
    this.allowed(principal);
    await this.found(this.unit.repos.webhooks, webhookId);
    return this.unit.repos.webhooks.deliveries(webhookId, limit);
  }

  /** Makes a delivery due now (after a receiver was fixed, or to send a delivered one again). */
  async retry(principal: Principal, webhookId: string, deliveryId: string): Promise<DeliveryRecord> {
    this.allowed(principal);
    return this.unit.run(async ({ webhooks }) => {
      await this.found(webhooks, webhookId, true);
      const delivery = await webhooks.findDelivery(webhookId, deliveryId);
      if (!delivery) throw new KeyError(`delivery ${deliveryId} not found`);
      if (delivery.in_flight)
        throw new EntityExistsError(`delivery ${deliveryId} is being sent right now; retry later`);
      await webhooks.retryNow(deliveryId, this.now());
      return (await webhooks.findDelivery(webhookId, deliveryId))!;
    });
  }

  // ---- the outbox ----

  /**
   * Queues the events committed after each of `hooks`' places in the outbox
   * that its types match, and moves its place past them: a transaction per
   * webhook and batch of events, at most `QUEUE_ROUNDS` batches per webhook
   * (a backlog is worked off over the next looks). A webhook that another
   * transaction holds (another instance queueing, a change of the webhook)
   * is left for the next look.
   *
   * With `claim`, a webhook that has nothing else to deliver (and is not
   * `busy` here) gets its first new deliveries claimed in the same
   * transaction, up to `claim.batch` each and `claim.limit` webhooks: the
   * batches answered, ready to send. The others are claimed by `claim` later.
   */
  async queueNew(hooks: readonly WebhookWithSecret[], claim?: QueueClaim): Promise<DeliveryBatch[]> {
    const batches: DeliveryBatch[] = [];
    const newest = await this.events.lastId();
    if (newest === undefined) return batches;
    for (const hook of hooks) {
      let expected = hook.queuedThrough;
      let after = await this.placeOf(hook);
      for (let round = 0; round < QUEUE_ROUNDS && (after === undefined || after < newest); round++) {
        const events = await this.events.after(after ?? BEFORE_EVERY_EVENT, QUEUE_BATCH);
        if (events.length === 0) break;
        const last = events.at(-1)!.id;
        const moved = await this.unit.run(async ({ webhooks }) => {
          const current = await webhooks.lockForQueueing(hook.id);
          if (!current?.enabled || current.queuedThrough !== expected) return undefined;
          const rows = deliveriesOf(current, events);
          const claimable =
            claim !== undefined &&
            rows.length > 0 &&
            batches.length < claim.limit &&
            !claim.busy.has(hook.id) &&
            !batches.some((b) => b.webhookId === hook.id) &&
            !(await webhooks.hasPending(hook.id));
          const until = new Date(this.clock().getTime() + (claim?.leaseMs ?? 0)).toISOString();
          const leased = await webhooks.enqueue(
            rows,
            this.now(),
            claimable ? { until, count: claim.batch } : undefined,
          );
          await webhooks.setQueuedThrough(hook.id, last);
          return { current, leased };
        });
        if (!moved) break;
        if (moved.leased.length > 0) {
          const batch = await this.prepared(moved.current, moved.leased, new Map(events.map((e) => [e.id, e])));
          if (batch) batches.push(batch);
        }
        if (events.length < QUEUE_BATCH) break;
        after = last;
        expected = last;
      }
    }
    return batches;
  }

  /**
   * In `tx`, under `lockFirst` and the webhook's row lock, before the webhook
   * changes: queues the events after its place with the settings they were
   * committed under (none when it is disabled), and moves its place to the
   * newest event, so that its new settings apply from the next event on.
   */
  private async catchUp(tx: Tx, webhook: WebhookWithSecret): Promise<void> {
    const { webhooks } = this.unit.on(tx);
    const newest = await this.events.lastId(tx);
    let after = await this.placeOf(webhook, tx);
    if (!webhook.enabled) after = newest;
    else {
      for (;;) {
        const events = await this.events.after(after ?? BEFORE_EVERY_EVENT, QUEUE_BATCH, tx);
        if (events.length === 0) break;
        await webhooks.enqueue(deliveriesOf(webhook, events), this.now());
        after = events.at(-1)!.id;
        if (events.length < QUEUE_BATCH) break;
      }
    }
    if (after !== undefined && after !== webhook.queuedThrough) await webhooks.setQueuedThrough(webhook.id, after);
  }

  /**
   * Where a webhook's queueing goes on from: its place; for one that an older
   * version registered during a rolling upgrade (no place), its
   * `webhook.created` event, which that version queued itself if it matched.
   * Undefined: before every event.
   */
  private async placeOf(webhook: WebhookWithSecret, tx?: Tx): Promise<string | undefined> {
    if (webhook.queuedThrough !== null) return webhook.queuedThrough;
    return this.events.newestOf('webhook.created', webhook.id, tx);
  }

  // ---- for the delivery worker ----

  /**
   * Takes deliveries to send for `leaseMs`, for up to `limit` enabled
   * webhooks (but none of `busy`, whose deliveries this instance is
   * sending), each batch in event order with what sending it needs. First
   * the webhooks with a due delivery waiting, the longest-waiting first:
   * the oldest pending delivery of each, with up to `batch - 1` of those
   * behind it. Then, in the slots left, webhooks with nothing else to
   * deliver get their new events (`queueNew`, which queues for every
   * webhook, even when no slot is left).
   */
  async claim(
    limit: number,
    leaseMs: number,
    batch = 1,
    busy: ReadonlySet<string> = new Set(),
  ): Promise<DeliveryBatch[]> {
    const { webhooks: repo } = this.unit.repos;
    const enabled = await repo.listEnabled();
    const now = this.clock().toISOString();
    const candidates = enabled.filter((hook) => !busy.has(hook.id));
    const heads =
      limit <= 0
        ? []
        : (
            await repo.claimableHeads(
              candidates.map((hook) => hook.id),
              now,
            )
          )
            .sort((a, b) => (a.next_attempt < b.next_attempt ? -1 : a.next_attempt > b.next_attempt ? 1 : 0))
            .slice(0, limit);
    const batches: DeliveryBatch[] = [];
    if (heads.length > 0) {
      const leaseUntil = new Date(Date.parse(now) + leaseMs).toISOString();
      const claimed = await this.unit.run(({ webhooks }) => webhooks.claimHeads(heads, now, leaseUntil, batch));
      const byWebhook = new Map<string, DeliveryRecord[]>();
      for (const delivery of [...claimed].sort((a, b) => (a.event_id < b.event_id ? -1 : 1))) {
        byWebhook.set(delivery.webhook_id, [...(byWebhook.get(delivery.webhook_id) ?? []), delivery]);
      }
      const events = new Map((await this.events.byIds(claimed.map((d) => d.event_id))).map((e) => [e.id, e]));
      for (const [webhookId, deliveries] of byWebhook) {
        const webhook = candidates.find((hook) => hook.id === webhookId);
        const prepared = webhook && (await this.prepared(webhook, deliveries, events));
        if (prepared) batches.push(prepared);
      }
    }
    const taken = new Set([...busy, ...heads.map((head) => head.webhook_id)]);
    const fresh = await this.queueNew(enabled, { limit: limit - batches.length, batch, busy: taken, leaseMs });
    return [...batches, ...fresh];
  }

  /**
   * A claimed batch with what sending it needs. A webhook that cannot be
   * prepared (a secret sealed with another key) fails its own deliveries; it
   * never holds up the others.
   */
  private async prepared(
    webhook: WebhookWithSecret,
    deliveries: DeliveryRecord[],
    events: ReadonlyMap<string, EventRecord>,
  ): Promise<DeliveryBatch | undefined> {
    try {
      const secret = this.secrets.open(webhook.sealedSecret);
      const jobs = deliveries.flatMap((delivery) => {
        const event = events.get(delivery.event_id);
        return event ? [{ delivery, event }] : [];
      });
      return { webhookId: webhook.id, url: webhook.url, secret, jobs };
    } catch (error) {
      const [head, ...rest] = deliveries;
      await this.release(rest);
      await this.finish(head!, {
        kind: 'failed',
        responseCode: null,
        error: `cannot prepare the delivery: ${(error as Error).message}`,
      });
      return undefined;
    }
  }

  /** Records deliveries that succeeded. */
  async succeeded(deliveries: DeliveryRecord[], responseCode: number): Promise<void> {
    await this.unit.repos.webhooks.succeeded(
      deliveries.map((d) => d.id),
      responseCode,
      this.now(),
    );
  }

  /** Records an attempt: done, retried later with backoff and jitter, or given up; a 410 disables the webhook. */
  async finish(delivery: DeliveryRecord, outcome: AttemptOutcome): Promise<void> {
    const now = this.clock();
    await this.unit.run(async ({ webhooks }, tx) => {
      if (outcome.kind === 'gone') await this.events.lockFirst(tx);
      if (outcome.kind === 'delivered') {
        await webhooks.finish(delivery.id, {
          status: 'succeeded',
          nextAttempt: now.toISOString(),
          responseCode: outcome.responseCode,
          error: null,
          now: now.toISOString(),
        });
        return;
      }
      if (outcome.kind === 'gone') {
        await webhooks.finish(delivery.id, {
          status: 'failed',
          nextAttempt: now.toISOString(),
          responseCode: 410,
          error: 'the receiver answered 410 Gone: the webhook was disabled',
          now: now.toISOString(),
        });
        const before = await webhooks.findById(delivery.webhook_id, true);
        if (before?.enabled) {
          await this.catchUp(tx, before);
          await webhooks.update(delivery.webhook_id, { enabled: false }, now.toISOString());
          const after = (await webhooks.findById(delivery.webhook_id))!;
          this.events.record(tx, { ...webhookEvent('webhook.updated', null, before, after), actor: SYSTEM_ACTOR });
        }
        return;
      }
      const next = now.getTime() + retryDelayMs(delivery.attempts, this.settings.retryBaseSeconds);
      // The window counts from this delivery's first attempt, not from its queueing: deliveries
      // waiting behind a failing one keep their whole window.
      const givesUp = next - Date.parse(delivery.first_attempt ?? now.toISOString()) > RETRY_WINDOW_MS;
      await webhooks.finish(delivery.id, {
        status: givesUp ? 'failed' : 'pending',
        nextAttempt: new Date(next).toISOString(),
        responseCode: outcome.responseCode,
        error: outcome.error.slice(0, 500),
        now: now.toISOString(),
      });
    });
  }

  /** Lets go of claimed deliveries that were not sent (the instance is stopping, or one before them failed). */
  async release(deliveries: DeliveryRecord[]): Promise<void> {
    await this.unit.repos.webhooks.release(deliveries.map((d) => d.id));
  }

  private allowed(principal: Principal): void {
    if (!access.canManageWebhooks(principal)) throw new IllegalOperationError('only superusers may manage webhooks');
  }

  private async checkInput(input: WebhookInput): Promise<void> {
    const unknown = (input.event_types ?? []).find((pattern) => !KNOWN_PATTERNS.has(pattern));
    if (unknown !== undefined) {
      throw new InvalidInput(
        ['body', 'event_types'],
        'value_error',
        `Value error, ${unknown} is not an event type, a prefix such as user.* or *`,
      );
    }
    if (input.url !== undefined) {
      const problem = await destinationProblem(input.url, this.settings.allowPrivate);
      if (problem) throw new ValueError(problem);
    }
  }

  private async found(webhooks: WebhooksRepository, id: string, lock = false): Promise<WebhookWithSecret> {
    const webhook = await webhooks.findById(id, lock);
    if (!webhook) throw new KeyError(`webhook ${id} not found`);
    return webhook;
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

/** The delay before attempt `attempts + 1`: exponential, capped at an hour, with full jitter in its upper half. */
export function retryDelayMs(attempts: number, baseSeconds: number): number {
  const exponential = Math.min(baseSeconds * 1000 * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
  return Math.round(exponential * (0.5 + Math.random() * 0.5));
}

function publicWebhook(webhook: WebhookWithSecret): WebhookRecord {
  const { sealedSecret: _secret, queuedThrough: _place, ...rest } = webhook;
  return rest;
}

/** A delivery to `webhook` of each of `events` its types match. */
function deliveriesOf(webhook: WebhookRecord, events: readonly { id: string; type: string }[]) {
  return events
    .filter((event) => webhook.event_types.some((pattern) => typeMatches(event.type, pattern)))
    .map((event) => ({ id: newId(), webhook_id: webhook.id, event_id: event.id }));
}

function webhookEvent(
  type: EventDraft['type'],
  principal: Principal | null,
  before: WebhookRecord | null,
  after: WebhookRecord | null,
): EventDraft {
  const webhook = (after ?? before)!;
  // A URL can carry a token in its path (chat services' hooks): events name only its origin.
  const origin = (w: WebhookRecord | null) => (w === null ? null : { ...w, url: new URL(w.url).origin });
  const changes: Changes = changesOf(origin(before), origin(after), ['url', 'event_types', 'description', 'enabled']);
  return eventBy(principal, type, { type: 'webhook', id: webhook.id }, null, changes);
}
