import type {
  Expression,
  ExpressionBuilder,
  Insertable,
  Kysely,
  SelectQueryBuilder,
  SqlBool,
  Updateable,
} from 'kysely';
import { compiledOnce, forUpdate } from '../../db/dialect.js';
import type { Database, Role, UsersTable } from '../../db/schema.js';
import { PUBLIC_USER_COLUMNS, toPublicRecord, toUserRecord as toRecord } from '../../db/user-rows.js';
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
const BY_ID = compiledOnce((db) => db.selectFrom('users').selectAll('users').where('users.id', '=', ''));

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
    if (scope.kind === 'all' && filters.search === undefined && page.offset === 0) {
      const rows = await afterCursor(applyFilters(this.scoped(scope).select(PUBLIC_USER_COLUMNS), filters), page)
        .orderBy('users.created')
        .orderBy('users.id')
        .limit(page.limit)
        .execute();
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

  /** How many accounts `scope` may see match `filters`. */
  async count(scope: UserScope, filters: UserFilters): Promise<number> {
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
      const columns = ['users.username_lower', 'users.email_lower', 'users.name_lower'] as const;
      branches = branches.flatMap((branch) =>
        columns.map((column) => branch.where(column, '>=', low).where(column, '<', high)),
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

  /** Inserts complete rows in one statement (bulk seeding). */
  async insertRows(rows: Insertable<UsersTable>[]): Promise<void> {
    await this.db.insertInto('users').values(rows).execute();
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

/** The filters other than `search` (which `matches` turns into index ranges). */
function applyFilters<O>(
  query: SelectQueryBuilder<Database, 'users', O>,
  filters: UserFilters,
): SelectQueryBuilder<Database, 'users', O> {
  if (filters.user_id !== undefined) query = query.where('users.id', '=', filters.user_id);
  if (filters.organization_id !== undefined) {
    query = query.where('users.organization_id', '=', filters.organization_id);
  }
  if (filters.username !== undefined) query = query.where('users.username_lower', '=', filters.username.toLowerCase());
  if (filters.email !== undefined) query = query.where('users.email_lower', '=', filters.email.toLowerCase());
  if (filters.oauth_provider !== undefined) query = query.where('users.oauth_provider', '=', filters.oauth_provider);
  if (filters.oauth_id !== undefined) query = query.where('users.oauth_id', '=', filters.oauth_id);
  if (filters.is_active !== undefined) query = query.where('users.is_active', '=', filters.is_active);
  if (filters.is_superuser !== undefined) query = query.where('users.is_superuser', '=', filters.is_superuser);
  if (filters.is_service_account !== undefined) {
    query = query.where('users.is_service_account', '=', filters.is_service_account);
  }
  return query;
}

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
