import { newId } from '../../domain/ids.js';
import * as access from '../../auth/access.js';
import type { AccessService, Principal } from '../../auth/access.js';
import type { Clock } from '../../clock.js';
import type { Transactor, Tx } from '../../db/transactions.js';
import type { EventDraft, EventRecord } from '../../domain/events.js';
import type { EventFeed } from './feed.js';
import type { EventFilters, EventsRepository } from './events.repository.js';

export interface EventQuery {
  filters: EventFilters;
  after?: string;
  limit: number;
  /** Seconds to wait for a first event when none is there yet (long poll). */
  wait: number;
}

/** Events pruned per statement: each batch is a short transaction of its own. */
const PRUNE_BATCH = 500;

/**
 * The audit log (API.md 7). Services call `record` inside the transaction of
 * the change; the events are written as that transaction's last statements,
 * under a lock that makes ids follow commit order on every instance, so that
 * a follower of the feed never misses one.
 */
export class EventsService {
  private readonly pending = new WeakMap<Tx, EventDraft[]>();
  private readonly appended = new WeakSet<EventDraft[]>();
  private closed = false;

  constructor(
    private readonly unit: Transactor<{ events: EventsRepository }>,
    private readonly clock: Clock,
    private readonly access: AccessService,
    private readonly feed: EventFeed,
  ) {}

  /** Records an event of the change `tx` makes; it is written only if `tx` commits. */
  record(tx: Tx, draft: EventDraft): void {
    let drafts = this.pending.get(tx);
    if (drafts && this.appended.has(drafts))
      throw new Error('an event was recorded after its transaction wrote its events');
    if (!drafts) {
      const batch: EventDraft[] = [];
      drafts = batch;
      this.pending.set(tx, batch);
      tx.beforeCommit(() => this.append(tx, batch));
      tx.afterCommit(() => this.feed.wake());
    }
    drafts.push(draft);
  }

  /**
   * Takes the lock events are appended under, now rather than at commit: every
   * event committed before is then visible to `tx`, and none can commit until
   * it ends (a webhook's place in the feed is moved under it), and every
   * transaction that also locks a webhook's row takes the two in one order.
   */
  async lockFirst(tx: Tx): Promise<void> {
    await this.unit.on(tx).events.lockAppend();
  }

  /** The newest event's id, if any (in `tx`, after `lockFirst`: none can commit after it with a smaller one). */
  lastId(tx?: Tx): Promise<string | undefined> {
    return this.unit.on(tx).events.lastId();
  }

  /** The id of the newest event of `type` about `targetId`, if any. */
  newestOf(type: EventDraft['type'], targetId: string, tx?: Tx): Promise<string | undefined> {
    return this.unit.on(tx).events.newestOf(type, targetId);
  }

  /** Up to `limit` events after `after`, in feed order, whoever asks (webhooks queue them). */
  after(after: string, limit: number, tx?: Tx): Promise<EventRecord[]> {
    return this.unit.on(tx).events.after(after, limit);
  }

  /** Runs `work` in a new transaction (for services without repositories of their own to run one). */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.unit.run((_repos, tx) => work(tx));
  }

  /** Records an event in a transaction of its own (for changes made outside one, such as a login). */
  async recordNow(draft: EventDraft): Promise<void> {
    await this.unit.run(async (_repos, tx) => this.record(tx, draft));
  }

  /** The events the caller may see, oldest first; waits up to `wait` seconds for a first one. */
  async list(principal: Principal, query: EventQuery): Promise<EventRecord[]> {
    const scope = access.eventScope(principal, await this.access.affiliations(principal));
    const deadline = Date.now() + query.wait * 1000;
    for (;;) {
      // A commit between this read and the wait below is not missed: the wait sees the generation move.
      const generation = this.feed.generation;
      const events = await this.unit.repos.events.list(scope, query.filters, query.after, query.limit);
      const left = deadline - Date.now();
      if (events.length > 0 || left <= 0 || this.closed) return events;
      await this.feed.next(left, generation);
    }
  }

  /** Events by id, whoever asks (the delivery worker sends them as they are). */
  byIds(ids: string[]): Promise<EventRecord[]> {
    return this.unit.repos.events.findByIds(ids);
  }

  /** Deletes events older than `retentionDays`, in small batches (writers never wait long). */
  async prune(retentionDays: number): Promise<number> {
    const before = new Date(this.clock().getTime() - retentionDays * 86_400_000).toISOString();
    let total = 0;
    for (;;) {
      const deleted = await this.unit.run(({ events }) => events.pruneBatch(before, PRUNE_BATCH));
      total += deleted;
      if (deleted < PRUNE_BATCH || this.closed) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Long polls answer at once from now on (the server is shutting down). */
  close(): void {
    this.closed = true;
    this.feed.wake();
  }

  private async append(tx: Tx, drafts: EventDraft[]): Promise<void> {
    this.appended.add(drafts);
    const { events } = this.unit.on(tx);
    await events.lockAppend();
    let last = await events.lastId();
    const occurred = this.clock().toISOString();
    const records = drafts.map((draft): EventRecord => {
      last = nextEventId(last);
      return {
        id: last,
        type: draft.type,
        occurred,
        actor: draft.actor,
        target: draft.target,
        organization_id: draft.organization_id ?? null,
        changes: draft.changes ?? {},
        request: draft.request ?? null,
      };
    });
    await events.insert(records);
    await events.notify();
  }
}

/** A UUIDv7 greater than `last` (the clock of another instance may be behind this one's). */
export function nextEventId(last: string | undefined): string {
  const id = newId();
  if (last === undefined || id > last) return id;
  const next = (BigInt(`0x${last.replaceAll('-', '')}`) + 1n).toString(16).padStart(32, '0');
  return `${next.slice(0, 8)}-${next.slice(8, 12)}-${next.slice(12, 16)}-${next.slice(16, 20)}-${next.slice(20)}`;
}
