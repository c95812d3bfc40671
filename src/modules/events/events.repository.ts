import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { compiledOnce, engineOf } from '../../db/dialect.js';
import type { Database } from '../../db/schema.js';
import { readJson, readTimestamp } from '../../db/values.js';
import type {
  Actor,
  ActorKind,
  Changes,
  EventFilters,
  EventRecord,
  EventType,
  TargetType,
} from '../../domain/events.js';
import type { EventScope } from '../../domain/records.js';

export type { EventFilters } from '../../domain/events.js';

/** The PostgreSQL channel that wakes followers of the feed on every instance. */
export const EVENTS_CHANNEL = 'roster_events';

type EventRow = {
  id: string;
  type: string;
  occurred: string | Date;
  actor_id: string | null;
  actor_username: string | null;
  actor_kind: string | null;
  target_type: string | null;
  target_id: string | null;
  organization_id: string | null;
  changes: string | Record<string, unknown>;
  request_id: string | null;
  request_ip: string | null;
  request_user_agent: string | null;
};

function toEvent(row: EventRow): EventRecord {
  return {
    id: row.id,
    type: row.type as EventType,
    occurred: readTimestamp(row.occurred),
    actor:
      row.actor_id === null
        ? null
        : ({ id: row.actor_id, username: row.actor_username ?? '', kind: row.actor_kind as ActorKind } satisfies Actor),
    target: row.target_id === null ? null : { type: row.target_type as TargetType, id: row.target_id },
    organization_id: row.organization_id,
    changes: readJson(row.changes) as Changes,
    request:
      row.request_id === null
        ? null
        : { id: row.request_id, ip: row.request_ip ?? '', user_agent: row.request_user_agent },
  };
}

/** The newest event (every transaction that writes events reads it). */
const LAST_ID = compiledOnce((db) => db.selectFrom('events').select('id').orderBy('id', 'desc').limit(1));
/** Events after an id (the delivery worker reads them for every webhook at every look). */
const AFTER = compiledOnce((db) => db.selectFrom('events').selectAll().where('id', '>', '').orderBy('id').limit(1));

export class EventsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Serialises the writers of events until their transactions end (a
   * PostgreSQL advisory lock; SQLite has one writer anyway): ids are then
   * taken, and committed, in one order on every instance.
   */
  async lockAppend(): Promise<void> {
    // One lock per schema: databases that hold several Roster schemas do not serialise each other.
    if (engineOf(this.db as Kysely<unknown>) === 'postgres') {
      await sql`select pg_advisory_xact_lock(hashtextextended('roster:events:' || current_schema(), 0))`.execute(
        this.db,
      );
    }
  }

  /** The newest event's id, if any. */
  async lastId(): Promise<string | undefined> {
    return (await this.db.executeQuery(LAST_ID(this.db, [1]))).rows[0]?.id;
  }

  /** Up to `limit` events after `after`, in feed order, whoever asks (what webhooks queue). */
  async after(after: string, limit: number): Promise<EventRecord[]> {
    return (await this.db.executeQuery(AFTER(this.db, [after, limit]))).rows.map((row) => toEvent(row as EventRow));
  }

  /** The id of the newest event of `type` about `targetId`, if any. */
  async newestOf(type: string, targetId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('events')
      .select('id')
      .where('target_id', '=', targetId)
      .where('type', '=', type)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.id;
  }

  async insert(events: EventRecord[]): Promise<void> {
    await this.db
      .insertInto('events')
      .values(
        events.map((e) => ({
          id: e.id,
          type: e.type,
          occurred: e.occurred,
          actor_id: e.actor?.id ?? null,
          actor_username: e.actor?.username ?? null,
          actor_kind: e.actor?.kind ?? null,
          target_type: e.target?.type ?? null,
          target_id: e.target?.id ?? null,
          organization_id: e.organization_id,
          changes: JSON.stringify(e.changes),
          request_id: e.request?.id ?? null,
          request_ip: e.request?.ip ?? null,
          request_user_agent: e.request?.user_agent ?? null,
        })),
      )
      .execute();
  }

  /** Wakes the followers on every instance when the transaction commits (PostgreSQL). */
  async notify(): Promise<void> {
    if (engineOf(this.db as Kysely<unknown>) === 'postgres')
      await sql`select pg_notify(${EVENTS_CHANNEL}, '')`.execute(this.db);
  }

  /** Events after `after` in feed order (by id), as `scope` may see them. */
  async list(scope: EventScope, filters: EventFilters, after: string | undefined, limit: number) {
    let query = this.db.selectFrom('events').selectAll();
    if (after !== undefined) query = query.where('id', '>', after);
    query = applyFilters(query, filters);
    if (scope.kind === 'visible-to') {
      const { userId, adminOrganizationIds } = scope;
      query = query.where((eb) =>
        eb.or([
          eb('actor_id', '=', userId),
          eb('target_id', '=', userId),
          ...(adminOrganizationIds.length > 0 ? [eb('organization_id', 'in', adminOrganizationIds)] : []),
        ]),
      );
    }
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map((row) => toEvent(row as EventRow));
  }

  async findByIds(ids: string[]): Promise<EventRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('events').selectAll().where('id', 'in', ids).orderBy('id').execute();
    return rows.map((row) => toEvent(row as EventRow));
  }

  /** Deletes up to `batch` events older than `before`; answers how many went. */
  async pruneBatch(before: string, batch: number): Promise<number> {
    const ids = this.db.selectFrom('events').select('id').where('occurred', '<', before).orderBy('id').limit(batch);
    const result = await this.db
      .deleteFrom('events')
      .where('id', 'in', (eb) => eb.selectFrom(ids.as('old')).select('old.id'))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function applyFilters<O>(
  query: SelectQueryBuilder<Database, 'events', O>,
  filters: EventFilters,
): SelectQueryBuilder<Database, 'events', O> {
  if (filters.actor_id !== undefined) query = query.where('actor_id', '=', filters.actor_id);
  if (filters.target_id !== undefined) query = query.where('target_id', '=', filters.target_id);
  if (filters.organization_id !== undefined) query = query.where('organization_id', '=', filters.organization_id);
  if (filters.since !== undefined) query = query.where('occurred', '>=', filters.since);
  if (filters.until !== undefined) query = query.where('occurred', '<', filters.until);
  const types = filters.types;
  if (types) {
    query = query.where((eb) =>
      eb.or([
        ...(types.exact.length > 0 ? [eb('type', 'in', types.exact)] : []),
        // Types are ASCII: a prefix is the range [prefix, prefix + '~').
        ...types.prefixes.map((p) => eb.and([eb('type', '>=', p), eb('type', '<', `${p}~`)])),
      ]),
    );
  }
  return query;
}
