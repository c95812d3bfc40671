import {
  type Expression,
  type ExpressionBuilder,
  type Insertable,
  type Kysely,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
  type Updateable,
} from 'kysely';
import { bulkInsert, compiledOnce, compiledPerShape, engineOf, estimatedRows, forUpdate } from '../../db/dialect.js';
import type { Database, Role, UsersTable } from '../../db/schema.js';
import { PUBLIC_USER_COLUMNS, toPublicRecord, toUserRecord as toRecord, USER_COLUMNS } from '../../db/user-rows.js';
import type { PublicUserRecord, UserRecord, UserScope } from '../../domain/records.js';

export type { PublicUserRecord, UserRecord, UserScope } from '../../domain/records.js';

export interface Page {
  offset: number;
  limit: number;
  after?: { created: string; id: string };
}

export interface UserFilters {
  user_id?: string;
  username?: string;
  organization_id?: string;
  /** Case-insensitive prefix of the username, the email or the name. */
  search?: string;
  email?: string;
  oauth_provider?: string;
  oauth_id?: string;
  is_active?: boolean;
  is_superuser?: boolean;
  is_service_account?: boolean;
}

/** The rows that hang on an account (API.md 4.4: listed by the deletion plan, deleted with it). */
export interface AccountDependents {
  organizations: { organization_id: string; organization_name: string; role: Role }[];
  workspaces: { workspace_id: string; workspace_name: string; organization_id: string; role: Role }[];
  apiKeys: { id: string; name: string }[];
}

/** The columns a create or update writes; lower-cased keys are derived here. */
export type UserValues = Partial<Omit<UserRecord, 'id' | 'created' | 'version' | 'credential_version'>>;

/** An account by id, for a caller that sees every account (compiled once; parameter: the id). */
const BY_ID = compiledOnce((db) => db.selectFrom('users').select(USER_COLUMNS).where('users.id', '=', ''));

/**
 * A page in list order of a caller who sees every account, without search or
 * offset (the lookups by email or username among them): compiled once per set
 * of filters present.
 */
const LIST_PAGE = compiledPerShape(
  (db, values: FilterValues & { after_created?: string; after_id?: string; limit: number }) => {
    let query = whereValues(db.selectFrom('users').select(PUBLIC_USER_COLUMNS), values);
    if (values.after_created !== undefined && values.after_id !== undefined) {
      const { after_created, after_id } = values;
      query = query.where((eb) => eb(eb.refTuple('users.created', 'users.id'), '>', eb.tuple(after_created, after_id)));
    }
    return query.orderBy('users.created').orderBy('users.id').limit(values.limit);
  },
);

/** The keys a search prefix matches: the lower-cased username, email and name, each indexed. */
const SEARCH_KEYS = ['users.username_lower', 'users.email_lower', 'users.name_lower'] as const;

/**
 * How many usernames, emails and names start with a prefix, each counted on
 * its index up to a cap (parameters: low, high, cap, three times).
 */
const PREFIX_KEYS = compiledOnce((db) => {
  const capped = (column: (typeof SEARCH_KEYS)[number]) =>
    db
      .selectFrom(
        db
          .selectFrom('users')
          .select(sql.lit(1).as('one'))
          .where(column, '>=', '')
          .where(column, '<', '')
          .limit(0)
          .as('r'),
      )
      .select((eb) => eb.fn.countAll().as('n'));
  const [username, email, name] = SEARCH_KEYS;
  return db.selectNoFrom([capped(username).as('n0'), capped(email).as('n1'), capped(name).as('n2')]);
});

/** How many accounts there are: the sum of the deltas the triggers of migration 0010 keep. */
const ACCOUNTS = compiledOnce((db) =>
  db.selectFrom('user_count').select((eb) => eb.fn.coalesce(eb.fn.sum<number | string>('delta'), eb.lit(0)).as('n')),
);

/** The estimated size of the users table, per database, with the time it was read. */
const ESTIMATES = new WeakMap<object, { rows: number; at: number }>();

export class UsersRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findById(id: string, scope: UserScope = { kind: 'all' }): Promise<UserRecord | undefined> {
    if (scope.kind === 'all') {
      const [row] = (await this.db.executeQuery(BY_ID(this.db, [id]))).rows;
      return row && toRecord(row);
    }
    const row = await this.scoped(scope).selectAll('users').where('users.id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  /** Like `findById`, and locks the row until the transaction ends (concurrent writers queue). */
  async findByIdForUpdate(id: string, scope: UserScope): Promise<UserRecord | undefined> {
    const query = this.scoped(scope).selectAll('users').where('users.id', '=', id);
    const row = await forUpdate(this.db, query).executeTakeFirst();
    return row && toRecord(row);
  }

  /**
   * Finds the account a login names: its username or its verified email,
   * case-insensitively. An email an account set on itself is not a login
   * name: it would let the account catch logins meant for another person.
   */
  async findByLogin(identifier: string): Promise<UserRecord | undefined> {
    const key = identifier.toLowerCase();
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where((eb) =>
        eb.or([eb('username_lower', '=', key), eb.and([eb('email_lower', '=', key), eb('email_verified', '=', true)])]),
      )
      // a username that looks like another account's email: the username wins
      .orderBy((eb) => eb.case().when('username_lower', '=', key).then(0).else(1).end())
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /**
   * Whether `name` is already another account's username or email: logins
   * accept either, so one account's username may never be another's email.
   */
  async loginNameTaken(name: string, exceptId?: string): Promise<boolean> {
    const key = name.toLowerCase();
    let query = this.db
      .selectFrom('users')
      .select('id')
      .where((eb) => eb.or([eb('username_lower', '=', key), eb('email_lower', '=', key)]));
    if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
    return (await query.executeTakeFirst()) !== undefined;
  }

  /** The account whose username or email is `name` (case-insensitively), locked until the transaction ends. */
  async findHolderOfLoginName(name: string): Promise<UserRecord | undefined> {
    const key = name.toLowerCase();
    const query = this.db
      .selectFrom('users')
      .selectAll()
      .where((eb) => eb.or([eb('username_lower', '=', key), eb('email_lower', '=', key)]));
    const row = await forUpdate(this.db, query).executeTakeFirst();
    return row && toRecord(row);
  }

  async findByOauth(provider: string, oauthId: string): Promise<UserRecord | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('oauth_provider', '=', provider)
      .where('oauth_id', '=', oauthId)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Whether any superuser other than the internal account exists. */
  async anyOtherSuperuser(): Promise<boolean> {
    const row = await this.db
      .selectFrom('users')
      .select('id')
      .where('is_superuser', '=', true)
      .where('is_internal', '=', false)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Locks the internal account's row until the transaction ends: a mutex for rare, global decisions. */
  async lockInternal(): Promise<void> {
    await forUpdate(this.db, this.db.selectFrom('users').select('id').where('is_internal', '=', true)).execute();
  }

  async findInternal(): Promise<UserRecord | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('is_internal', '=', true).executeTakeFirst();
    return row && toRecord(row);
  }

  /**
   * A page of accounts in list order (creation, then id): after a cursor
   * (keyset: the cost does not grow with depth) or at an offset.
   */
  async list(scope: UserScope, filters: UserFilters, page: Page): Promise<PublicUserRecord[]> {
    if (scope.kind === 'all' && filters.search !== undefined && (await this.searchIsDense(filters.search, page))) {
      // A prefix that many keys share: walking creation order meets a page of matches
      // sooner than sorting every match of the prefix's ranges would.
      const rows = await afterCursor(
        applyFilters(this.db.selectFrom('users').select(PUBLIC_USER_COLUMNS), filters).where(
          this.prefixFilter(filters.search),
        ),
        page,
      )
        .orderBy('users.created')
        .orderBy('users.id')
        .$if(page.offset > 0, (q) => q.offset(page.offset))
        .limit(page.limit)
        .execute();
      return rows.map(toPublicRecord);
    }
    if (scope.kind === 'all' && filters.search === undefined && page.offset === 0) {
      const values = { ...filterValues(filters), after_created: page.after?.created, after_id: page.after?.id };
      const { rows } = await this.db.executeQuery(LIST_PAGE(this.db, { ...values, limit: page.limit }));
      return rows.map(toPublicRecord);
    }
    // Deferred join: find the page's ids on narrow indexes (skipping an offset there,
    // or sorting the matches of a search or of a visibility scope there), then read
    // only the page's rows.
    const ids = this.db
      .selectFrom(this.matches(scope, filters, page).as('m'))
      .select('m.id')
      .orderBy('m.created')
      .orderBy('m.id')
      .$if(page.offset > 0, (q) => q.offset(page.offset))
      .limit(page.limit);
    const rows = await this.db
      .selectFrom('users')
      .select(PUBLIC_USER_COLUMNS)
      .where('users.id', 'in', ids)
      .orderBy('users.created')
      .orderBy('users.id')
      .execute();
    return rows.map(toPublicRecord);
  }

  /**
   * Whether the prefix's three index ranges (username, email, name) hold at least
   * `searchWalkThreshold` keys: counted on the indexes alone, and never further
   * than the threshold.
   */
  private async searchIsDense(search: string, page: Page): Promise<boolean> {
    const [low, high] = prefixRange(search.toLowerCase());
    const cap = searchWalkThreshold(page, await this.estimatedAccounts());
    const query = PREFIX_KEYS(this.db, [low, high, cap, low, high, cap, low, high, cap]);
    const [row] = (await this.db.executeQuery(query)).rows;
    return Number(row!.n0) + Number(row!.n1) + Number(row!.n2) >= cap;
  }

  /** `estimatedRows` of the users table, read again at most every ten seconds (it only steers the search). */
  private async estimatedAccounts(): Promise<number> {
    const known = ESTIMATES.get(this.db);
    if (known && Date.now() - known.at < 10_000) return known.rows;
    const rows = await estimatedRows(this.db, 'users');
    ESTIMATES.set(this.db, { rows, at: Date.now() });
    return rows;
  }

  /**
   * The search prefix as a filter on each row, written so that neither engine
   * answers it from the key indexes (the walk in creation order is the point).
   */
  private prefixFilter(search: string): UsersCondition {
    const [low, high] = prefixRange(search.toLowerCase());
    const sqlite = engineOf(this.db as Kysely<unknown>) === 'sqlite';
    return (eb) =>
      eb.or(
        SEARCH_KEYS.map((column) => {
          // `+column` in SQLite, `column || ''` in PostgreSQL: the same value, no index.
          const value = sqlite ? sql<string>`+${sql.ref(column)}` : sql<string>`(${sql.ref(column)} || '')`;
          return eb.and([eb(value, '>=', low), eb(value, '<', high)]);
        }),
      );
  }

  /** How many accounts `scope` may see match `filters`. */
  async count(scope: UserScope, filters: UserFilters): Promise<number> {
    if (scope.kind === 'all' && Object.values(filters).every((value) => value === undefined)) {
      // Every account: the count the database keeps (migration 0010), not a walk of an index.
      const [row] = (await this.db.executeQuery(ACCOUNTS(this.db, []))).rows;
      return Number(row?.n ?? 0);
    }
    const row = await this.db
      .selectFrom(this.matches(scope, filters, { offset: 0, limit: 0 }).as('m'))
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * (id, created) of every match, as a union of branches that each start from
   * an index: one per part of the caller's visibility (itself, the members of
   * its organizations, their service accounts) and, for a search, one per
   * prefix range (username, email, name).
   */
  private matches(scope: UserScope, filters: UserFilters, page: Page) {
    const base = () =>
      afterCursor(applyFilters(this.db.selectFrom('users').select(['users.id', 'users.created']), filters), page);
    // One branch per part of the caller's visibility, so that each starts from an index.
    let branches = scope.kind === 'all' ? [base()] : visibility(scope).map((condition) => base().where(condition));
    if (filters.search !== undefined) {
      const [low, high] = prefixRange(filters.search.toLowerCase());
      branches = branches.flatMap((branch) =>
        SEARCH_KEYS.map((column) => branch.where(column, '>=', low).where(column, '<', high)),
      );
    }
    return branches.slice(1).reduce((union, branch) => union.union(branch), branches[0]!);
  }

  async insert(id: string, values: UserValues & Pick<UserRecord, 'username'>, now: string): Promise<UserRecord> {
    const row: Insertable<UsersTable> = {
      id,
      name_lower: null,
      ...toColumns(values),
      username: values.username,
      username_lower: values.username.toLowerCase(),
      metadata: JSON.stringify(values.metadata ?? {}),
      is_active: values.is_active ?? true,
      is_superuser: values.is_superuser ?? false,
      is_service_account: values.is_service_account ?? false,
      is_internal: values.is_internal ?? false,
      is_onboarded: values.is_onboarded ?? false,
      email_verified: values.email_verified ?? false,
      version: 1,
      credential_version: 1,
      created: now,
      updated: now,
    };
    await this.db.insertInto('users').values(row).execute();
    return (await this.findById(id))!;
  }

  /** Inserts complete rows in one statement (bulk seeding: COPY on PostgreSQL). */
  async insertRows(rows: Insertable<UsersTable>[]): Promise<void> {
    await bulkInsert(this.db, 'users', rows as Record<string, unknown>[]);
  }

  /**
   * Writes `values` if the row is still at `version` (compare-and-set).
   * Returns the updated account, or undefined when another write got there first.
   */
  async update(
    id: string,
    version: number,
    values: UserValues,
    now: string,
    options: { revokeCredentials?: boolean } = {},
  ): Promise<UserRecord | undefined> {
    const row = await this.db
      .updateTable('users')
      .set({ ...toColumns(values), version: version + 1, updated: now })
      .$if(options.revokeCredentials === true, (q) =>
        q.set((eb) => ({ credential_version: eb('credential_version', '+', 1) })),
      )
      .where('id', '=', id)
      .where('version', '=', version)
      .returningAll()
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /**
   * Folds the account count's deltas into one row (PostgreSQL appends one per
   * insert or delete statement; SQLite keeps one row). Deltas of transactions
   * still running are not visible to the delete and stay as they are.
   */
  async foldCount(): Promise<void> {
    if (engineOf(this.db as Kysely<unknown>) === 'sqlite') return;
    await sql`with gone as (delete from user_count returning delta)
              insert into user_count (delta) select coalesce(sum(delta), 0) from gone`.execute(this.db);
  }

  /** An organization's service accounts (before they are deleted with it). */
  async serviceAccountsOf(organizationId: string): Promise<UserRecord[]> {
    const rows = await this.db.selectFrom('users').selectAll().where('organization_id', '=', organizationId).execute();
    return rows.map(toRecord);
  }

  /** Deletes an organization's service accounts (their keys and sessions go with them: foreign keys cascade). */
  async deleteServiceAccountsOf(organizationId: string): Promise<void> {
    await this.db.deleteFrom('users').where('organization_id', '=', organizationId).execute();
  }

  /** The memberships and API keys that go with an account when it is deleted (foreign keys cascade): for the deletion plan. */
  async dependentsOf(userId: string): Promise<AccountDependents> {
    const [organizations, workspaces, apiKeys] = await Promise.all([
      this.db
        .selectFrom('organization_members')
        .innerJoin('organizations', 'organizations.id', 'organization_members.organization_id')
        .select([
          'organization_members.organization_id',
          'organizations.name as organization_name',
          'organization_members.role',
        ])
        .where('organization_members.user_id', '=', userId)
        .orderBy('organizations.name_lower')
        .execute(),
      this.db
        .selectFrom('workspace_members')
        .innerJoin('workspaces', 'workspaces.id', 'workspace_members.workspace_id')
        .select([
          'workspace_members.workspace_id',
          'workspaces.name as workspace_name',
          'workspaces.organization_id',
          'workspace_members.role',
        ])
        .where('workspace_members.user_id', '=', userId)
        .orderBy('workspaces.name_lower')
        .execute(),
      this.db
        .selectFrom('api_keys')
        .select(['id', 'name'])
        .where('user_id', '=', userId)
        .orderBy('created')
        .orderBy('id')
        .execute(),
    ]);
    return { organizations, workspaces, apiKeys };
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** The users table narrowed to what `scope` may see. */
  private scoped(scope: UserScope) {
    const query = this.db.selectFrom('users');
    if (scope.kind === 'all') return query;
    return query.where((eb) => eb.or(visibility(scope).map((condition) => condition(eb))));
  }
}

type UsersCondition = (eb: ExpressionBuilder<Database, 'users'>) => Expression<SqlBool>;

/**
 * What a caller that is not a superuser sees (API.md 4.1): itself, the members
 * of its organizations, and those organizations' service accounts. Lookups
 * combine the parts with OR; list pages walk one index per part.
 */
function visibility(scope: Extract<UserScope, { kind: 'visible-to' }>): UsersCondition[] {
  const { userId, organizationIds } = scope;
  const own: UsersCondition = (eb) => eb('users.id', '=', userId);
  if (organizationIds.length === 0) return [own];
  return [
    own,
    (eb) =>
      eb(
        'users.id',
        'in',
        eb
          .selectFrom('organization_members')
          .select('organization_members.user_id')
          .where('organization_members.organization_id', 'in', organizationIds),
      ),
    (eb) => eb('users.organization_id', 'in', organizationIds),
  ];
}

/** Rows after the keyset cursor of `page`, if it has one. */
function afterCursor<O>(
  query: SelectQueryBuilder<Database, 'users', O>,
  page: Page,
): SelectQueryBuilder<Database, 'users', O> {
  if (!page.after) return query;
  const { created, id } = page.after;
  return query.where((eb) => eb(eb.refTuple('users.created', 'users.id'), '>', eb.tuple(created, id)));
}

/** The filters other than `search`, as the values the query compares (lookup keys lower-cased). */
interface FilterValues {
  id?: string;
  organization_id?: string;
  username_lower?: string;
  email_lower?: string;
  oauth_provider?: string;
  oauth_id?: string;
  is_active?: boolean;
  is_superuser?: boolean;
  is_service_account?: boolean;
}

function filterValues(filters: UserFilters): FilterValues {
  return {
    id: filters.user_id,
    organization_id: filters.organization_id,
    username_lower: filters.username?.toLowerCase(),
    email_lower: filters.email?.toLowerCase(),
    oauth_provider: filters.oauth_provider,
    oauth_id: filters.oauth_id,
    is_active: filters.is_active,
    is_superuser: filters.is_superuser,
    is_service_account: filters.is_service_account,
  };
}

/** The filters other than `search` (which `matches` turns into index ranges); each present one is an equality. */
function applyFilters<O>(
  query: SelectQueryBuilder<Database, 'users', O>,
  filters: UserFilters,
): SelectQueryBuilder<Database, 'users', O> {
  return whereValues(query, filterValues(filters));
}

function whereValues<O>(
  query: SelectQueryBuilder<Database, 'users', O>,
  values: FilterValues,
): SelectQueryBuilder<Database, 'users', O> {
  for (const column of FILTER_COLUMNS) {
    const value = values[column];
    if (value !== undefined) query = query.where(`users.${column}`, '=', value as never);
  }
  return query;
}

const FILTER_COLUMNS = [
  'id',
  'organization_id',
  'username_lower',
  'email_lower',
  'oauth_provider',
  'oauth_id',
  'is_active',
  'is_superuser',
  'is_service_account',
] as const;

/**
 * The keys starting with `prefix` are exactly those in [prefix, next) where
 * `next` has the prefix's last code point incremented: lookup keys compare in
 * code point order on both engines (binary in SQLite, collate "C" in PostgreSQL).
 */
function prefixRange(prefix: string): [string, string] {
  const points = Array.from(prefix);
  const last = points.pop()!.codePointAt(0)!;
  return [prefix, points.join('') + String.fromCodePoint(Math.min(last + 1, 0x10ffff))];
}

/**
 * From how many keys in a search prefix's ranges a page of a caller who sees
 * every account walks creation order instead. Sorting the ranges costs about
 * 1.3 µs per key; the walk reads about (offset + limit) × rows / keys rows at
 * 0.46 µs each (SQLite, measured in docs/performance.md). The two cost the same
 * at keys = √(0.35 × (offset + limit) × rows): about 840 keys for a 20-row page
 * of 100,000 accounts, 2,700 of a million. Rounded to two digits, never below
 * 200 (a small table sorts its ranges), never above 100,000.
 */
export function searchWalkThreshold(page: Page, rows: number): number {
  const balance = Math.sqrt(0.35 * (page.offset + page.limit) * rows);
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(Math.max(balance, 1))) - 1);
  return Math.min(100_000, Math.max(200, Math.ceil(balance / unit) * unit));
}

function toColumns(values: UserValues): Updateable<UsersTable> {
  const columns: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (key === 'metadata') columns.metadata = JSON.stringify(value);
    else columns[key] = value;
  }
  if (typeof values.username === 'string') columns.username_lower = values.username.toLowerCase();
  if (values.email !== undefined) columns.email_lower = values.email === null ? null : values.email.toLowerCase();
  if (values.name !== undefined) columns.name_lower = values.name === null ? null : values.name.toLowerCase();
  return columns as Updateable<UsersTable>;
}
