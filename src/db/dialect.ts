/**
 * Everything that differs between SQLite and PostgreSQL lives here: opening a
 * connection, column types for migrations, parameter conversion, locks; the
 * drivers' errors become the typed errors of `errors.ts` on the way out. The
 * rest of Roster is engine-neutral.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import {
  type Compilable,
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  SqliteAdapter,
  SqliteDriver,
  type DialectAdapter,
  sql,
  type DatabaseConnection,
  type Driver,
  type SqliteDatabase,
  type SqliteStatement,
  type SqliteDialectConfig,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely';
import { NormalisingDialect } from './normalising-dialect.js';
import { SAFETY_NET_PAGES, startCheckpointer } from './checkpointer.js';
import type { Database } from './schema.js';

export type Engine = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  /**
   * Calls `onChange` soon after another connection commits: on PostgreSQL for
   * each notification on `channel` (a connection of its own LISTENs; it
   * reconnects after a failure), on SQLite when the file's data version moves
   * (another process committed; checked every 250 ms). Answers how to stop.
   */
  watch(channel: string, onChange: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** How often SQLite's data version is read while something watches the file. */
const SQLITE_WATCH_MS = 250;

export interface OpenOptions {
  poolSize?: number;
  /** PostgreSQL only: the schema to work in (tests isolate each file in its own). */
  schema?: string;
  /** Called with every query run (tools that print query plans use it). */
  onQuery?: (query: CompiledQuery) => void;
  /** SQLite files: checkpoint from a thread of its own, not on commits (the server; `checkpointer.ts`). */
  backgroundCheckpoints?: boolean;
}

/**
 * Opens the database named by a `sqlite:<path>` or `postgres://` URL. Only the
 * driver of that engine is loaded.
 */
export async function openDatabase(url: string, options: OpenOptions = {}): Promise<DatabaseHandle> {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length), options);
  return openPostgres(url, options);
}

function logOption(options: OpenOptions) {
  const onQuery = options.onQuery;
  return onQuery ? { log: (event: { query: CompiledQuery }) => onQuery(event.query) } : {};
}

async function openSqlite(path: string, options: OpenOptions): Promise<DatabaseHandle> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const { default: Sqlite } = await import('better-sqlite3');
  const sqlite = new Sqlite(path);
  // WAL lets readers run beside the writer; the busy timeout makes a second
  // process wait for the write lock instead of failing with SQLITE_BUSY.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  const stopCheckpoints =
    options.backgroundCheckpoints && path !== ':memory:' ? startCheckpointer(path) : async () => {};
  if (options.backgroundCheckpoints && path !== ':memory:') sqlite.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
  const db = new Kysely<Database>({
    dialect: new NormalisingDialect(new ImmediateSqliteDialect({ database: sqliteForKysely(sqlite) })),
    ...logOption(options),
  });
  const watch = async (_channel: string, onChange: () => void) => {
    let seen = sqlite.pragma('data_version', { simple: true });
    const timer = setInterval(() => {
      if (!sqlite.open) return;
      const now = sqlite.pragma('data_version', { simple: true });
      if (now !== seen) {
        seen = now;
        onChange();
      }
    }, SQLITE_WATCH_MS);
    timer.unref();
    return async () => clearInterval(timer);
  };
  const close = async () => {
    await stopCheckpoints();
    await db.destroy();
  };
  return { db, engine: 'sqlite', watch, close };
}

async function openPostgres(url: string, options: OpenOptions): Promise<DatabaseHandle> {
  const { default: pg } = await import('pg');
  /**
   * A client that runs the statements of `compiledOnce` and `compiledPerShape`
   * as named prepared statements: PostgreSQL parses and plans each once per
   * connection instead of at every request. Every other statement is sent as is.
   */
  class PreparingClient extends pg.Client {
    // pg's query has a dozen overloads: this passes them on unchanged.
    override query(config: any, values?: any, callback?: any): any {
      if (typeof config === 'string' && COPY_FROM_STDIN.test(config) && Array.isArray(values)) {
        return copyIn(this, config, String(values[0]));
      }
      if (typeof config === 'string' && Array.isArray(values)) {
        const name = PREPARED_NAMES.get(config);
        if (name !== undefined) return super.query({ name, text: config, values }, callback);
      }
      return super.query(config, values, callback);
    }
  }
  const pool = new pg.Pool({
    Client: PreparingClient,
    connectionString: url,
    max: options.poolSize ?? 10,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  const db = new Kysely<Database>({
    dialect: new NormalisingDialect(new OwnSchemaPostgresDialect({ pool })),
    ...logOption(options),
  });
  const watch = async (channel: string, onChange: () => void) => {
    let stopped = false;
    let client: InstanceType<typeof pg.Client> | undefined;
    const connect = async (): Promise<void> => {
      if (stopped) return;
      const next = new pg.Client({ connectionString: url });
      next.on('notification', () => onChange());
      next.on('error', () => {
        // The connection broke: a wake-up may have been missed, so wake once, then reconnect.
        onChange();
        void next.end().catch(() => undefined);
        if (client === next) retry();
      });
      await next.connect();
      await next.query(`listen ${channel}`);
      client = next;
    };
    const retry = (): void => {
      setTimeout(() => void connect().catch(retry), 1000).unref();
    };
    await connect();
    return async () => {
      stopped = true;
      await client?.end().catch(() => undefined);
    };
  };
  return { db, engine: 'postgres', watch, close: () => db.destroy() };
}

/**
 * The database handed to Kysely's SQLite dialect. better-sqlite3 compiles a
 * statement on every `prepare`, and Kysely prepares each query it runs; Roster
 * runs the same few hundred statements over and over, so compiled statements
 * are kept by their SQL (safe: Kysely runs one statement at a time on SQLite's
 * single connection). better-sqlite3 binds no booleans: they are sent as 1 / 0.
 */
function sqliteForKysely(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (!statement) {
        statement = withBooleans(sqlite.prepare(text.replace(BOUND_LIMIT, '$1 cast(? as integer)')));
        if (cache.size >= 2000) cache.delete(cache.keys().next().value!);
        cache.set(text, statement);
      }
      return statement;
    },
  };
}

/**
 * A LIMIT or OFFSET that is a bare bound parameter makes SQLite compile the statement again
 * whenever the bound value changes (its planner may use the value), which costs more than
 * running it: 10 µs on a 6 µs lookup by email. Behind a cast, the value is an expression and
 * the statement keeps its one plan. (Kysely binds every limit; none comes from a string.)
 */
const BOUND_LIMIT = /\b(limit|offset) \?/g;

function withBooleans(statement: BetterSqlite3.Statement): SqliteStatement {
  const bind = (parameters: ReadonlyArray<unknown>) =>
    parameters.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value));
  return {
    reader: statement.reader,
    all: (parameters) => statement.all(bind(parameters)),
    run: (parameters) => statement.run(bind(parameters)),
    iterate: (parameters) => statement.iterate(bind(parameters)),
  };
}

/**
 * On PostgreSQL, introspection (which only the migrator uses, to find its own tables) sees the
 * connection's own schema. Kysely's own introspector reads the columns of every schema of the
 * database with catalog functions, which fail (3F000) when another process drops a schema
 * meanwhile: another app's, or another test file's running beside this one.
 */
class OwnSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new OwnSchemaIntrospector(db);
  }
}

class OwnSchemaIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<any>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const result = await sql<{ name: string }>`select current_schema() as name`.execute(this.db);
    return result.rows;
  }

  /** The tables and views of the current schema, by name (no columns: nothing here reads them). */
  async getTables(): Promise<TableMetadata[]> {
    const result = await sql<{ name: string; schema: string; is_view: boolean }>`
      select c.relname as name, n.nspname as schema, c.relkind = 'v' as is_view
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind in ('r', 'p', 'v')`.execute(this.db);
    return result.rows.map((row) => ({ name: row.name, schema: row.schema, isView: row.is_view, columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

/**
 * Every Roster transaction writes, so SQLite transactions take the write lock
 * when they begin (`begin immediate`). A second process then waits for the
 * lock (busy timeout) instead of failing when it upgrades a read to a write.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }

  /**
   * SQLite runs DDL inside transactions, so migrations do too: with
   * `begin immediate`, processes starting together on one file take turns.
   */
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** The schema migrations and queries work in: PostgreSQL's current schema; SQLite has none. */
export async function currentSchema(db: Kysely<any>): Promise<string | undefined> {
  if (engineOf(db) !== 'postgres') return undefined;
  const result = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return result.rows[0]?.schema;
}

/**
 * Locks the rows a select reads until the transaction ends (`for update`) on
 * PostgreSQL. SQLite needs no row lock: its transactions hold the database's
 * write lock from their start.
 */
export function forUpdate<Q extends { forUpdate(): Q }>(db: Kysely<any>, query: Q): Q {
  return engineOf(db) === 'postgres' ? query.forUpdate() : query;
}

/**
 * Like `forUpdate`, with a lock that lets foreign keys referencing the row be
 * checked meanwhile (PostgreSQL `FOR NO KEY UPDATE`): a transaction that
 * inserts rows referencing it does not wait, nor deadlock, on the holder.
 */
export function forNoKeyUpdate<Q extends { forNoKeyUpdate(): Q }>(db: Kysely<any>, query: Q): Q {
  return engineOf(db) === 'postgres' ? query.forNoKeyUpdate() : query;
}

/**
 * On PostgreSQL, locks the rows of `of` that the query returns and skips
 * those another transaction has locked (work queues: each row to one taker).
 * SQLite has one writer at a time, so the query runs as it is.
 */
export function skipLocked<Q extends { forUpdate(of?: any): Q; skipLocked(): Q }>(
  db: Kysely<any>,
  query: Q,
  of: string,
): Q {
  return engineOf(db) === 'postgres' ? query.forUpdate(of).skipLocked() : query;
}

/**
 * Serialises transactions on one key until the transaction ends: a PostgreSQL
 * advisory lock; on SQLite transactions already hold the write lock from their start.
 */
export async function lockKey(db: Kysely<any>, key: string): Promise<void> {
  if (engineOf(db) === 'postgres') await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(db);
}

/** Settings for this connection while it bulk-loads: SQLite gets a large page cache and no fsync. */
export async function prepareBulkLoad(db: Kysely<any>): Promise<void> {
  if (engineOf(db) === 'postgres') return;
  await sql`pragma cache_size = -262144`.execute(db);
  await sql`pragma synchronous = off`.execute(db);
}

/**
 * Drops the plain (non-unique, non-constraint) indexes of `table` for a bulk
 * load and answers a function that builds them again, from their own stored
 * definitions: one sort per index instead of a tree insert per row.
 */
export async function suspendIndexes(db: Kysely<any>, table: string): Promise<() => Promise<void>> {
  const definitions =
    engineOf(db) === 'postgres'
      ? (
          await sql<{ name: string; definition: string }>`
            select i.indexname as name, i.indexdef as definition from pg_indexes i
            where i.schemaname = current_schema() and i.tablename = ${table}
              and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`.execute(db)
        ).rows
      : (
          await sql<{ name: string; definition: string }>`
            select name, sql as definition from sqlite_master
            where type = 'index' and tbl_name = ${table} and sql is not null`.execute(db)
        ).rows;
  for (const { name } of definitions) await sql`drop index ${sql.ref(name)}`.execute(db);
  return async () => {
    for (const { definition } of definitions) await sql.raw(definition).execute(db);
  };
}

/** Refreshes the planner's statistics of one table (after a bulk load). */
export async function analyze(db: Kysely<any>, table: string): Promise<void> {
  if (engineOf(db) === 'postgres') await sql`vacuum analyze ${sql.table(table)}`.execute(db);
  else await sql`analyze ${sql.table(table)}`.execute(db);
}

/** `copy <table> (<columns>) from stdin`: statements that `bulkInsert` sends with their rows as the one parameter. */
const COPY_FROM_STDIN = /^copy "\w+" \([^)]*\) from stdin$/;

/** Streams `data` (COPY's text format) into a `copy ... from stdin` on this client's connection. */
async function copyIn(client: import('pg').Client, statement: string, data: string) {
  const { from } = await import('pg-copy-streams');
  const stream = client.query(from(statement));
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', resolve);
    stream.end(data);
  });
  return { command: 'COPY', rowCount: stream.rowCount, rows: [] };
}

/** A value in COPY's text format: \N for null, backslash escapes for the characters that separate. */
function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'boolean' ? (value ? 't' : 'f') : String(value);
  return text.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!);
}

/**
 * Inserts complete rows (every one with the same columns) in bulk: on
 * PostgreSQL with one COPY (on the connection of `db`, inside its transaction
 * if it has one), on SQLite as one multi-row insert.
 */
export async function bulkInsert<T extends keyof Database & string>(
  db: Kysely<Database>,
  table: T,
  rows: Record<string, unknown>[],
): Promise<void> {
  if (rows.length === 0) return;
  if (engineOf(db as Kysely<unknown>) === 'sqlite') {
    await db
      .insertInto(table)
      .values(rows as never)
      .execute();
    return;
  }
  const columns = Object.keys(rows[0]!);
  const data = rows.map((row) => columns.map((column) => copyValue(row[column])).join('\t')).join('\n') + '\n';
  const statement = `copy "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) from stdin`;
  await db.executeQuery(CompiledQuery.raw(statement, [data]));
}

/**
 * About how many rows `table` holds, at the cost of a lookup rather than a
 * count: SQLite's largest rowid (rows are never renumbered, so deletions make
 * it an overestimate), PostgreSQL's `reltuples` (as of the last vacuum or
 * analyze; 0 before the first).
 */
export async function estimatedRows(db: Kysely<any>, table: string): Promise<number> {
  const { rows } =
    engineOf(db) === 'postgres'
      ? await sql<{
          n: number;
        }>`select greatest(reltuples, 0)::float8 as n from pg_class where oid = to_regclass(${table})`.execute(db)
      : await sql<{ n: number | null }>`select max(rowid) as n from ${sql.table(table)}`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/** The database URL without its password (in the credentials or the query), for messages. */
export function describeDatabaseUrl(url: string): string {
  if (url.startsWith('sqlite:')) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass|secret|key/i.test(key)) parsed.searchParams.set(key, '***');
    }
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

/** Column types that differ between the engines, for migrations. */
export function columnTypes(engine: Engine) {
  return engine === 'postgres'
    ? {
        uuid: 'uuid' as const,
        timestamp: 'timestamptz' as const,
        json: 'jsonb' as const,
        /**
         * Lower-cased lookup keys, compared byte-wise (code point order) as in
         * SQLite, so that prefix ranges (`>= 'ab' and < 'ac'`) use the index.
         */
        key: sql`text collate "C"`,
      }
    : { uuid: 'text' as const, timestamp: 'text' as const, json: 'text' as const, key: 'text' as const };
}

/** The engine behind a Kysely instance (migrations receive only the instance). */
export function engineOf(db: Kysely<unknown>): Engine {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * A query built and compiled once per engine, then run with new parameters
 * (in the order their placeholders appear): for the statements of every
 * request, where building and compiling a query costs as much as running it.
 */
export function compiledOnce<R>(build: (db: Kysely<Database>) => Compilable<R>) {
  const byEngine: Partial<Record<Engine, CompiledQuery<R>>> = {};
  return (db: Kysely<Database>, parameters: readonly unknown[]): CompiledQuery<R> => {
    const engine = engineOf(db as Kysely<unknown>);
    const compiled = byEngine[engine] ?? prepared(build(db).compile());
    byEngine[engine] = compiled;
    return { ...compiled, parameters };
  };
}

/**
 * The statement names of the queries compiled once, by their SQL: PostgreSQL
 * connections run these as named prepared statements. Bounded by the queries
 * of the code (and the shapes of `compiledPerShape`), not by requests.
 */
const PREPARED_NAMES = new Map<string, string>();

function prepared<R>(compiled: CompiledQuery<R>): CompiledQuery<R> {
  // A `*` would change its result type when a newer version adds a column during a rolling
  // upgrade, which PostgreSQL refuses for a prepared statement: those are sent unprepared.
  if (!PREPARED_NAMES.has(compiled.sql) && !/\*/.test(compiled.sql)) {
    PREPARED_NAMES.set(compiled.sql, `roster_${createHash('sha256').update(compiled.sql).digest('hex').slice(0, 24)}`);
  }
  return compiled;
}

/** Stands for one named parameter while `compiledPerShape` compiles a shape. */
class Slot {
  constructor(readonly name: string) {}
}

/**
 * A query whose text depends on which of its named values are present (its
 * shape: which filters a list has, say), compiled once per shape and engine.
 * `build` receives a placeholder for each present value and must only place
 * them in the query, never read them; each run binds the real values in
 * their places. Values that are undefined are absent.
 */
export function compiledPerShape<V extends object, R>(build: (db: Kysely<Database>, values: V) => Compilable<R>) {
  const compiledByShape = new Map<string, CompiledQuery<R>>();
  return (db: Kysely<Database>, given: V): CompiledQuery<R> => {
    const values = given as Record<string, unknown>;
    const names = Object.keys(values)
      .filter((name) => values[name] !== undefined)
      .sort();
    const shape = `${engineOf(db as Kysely<unknown>)}:${names.join(',')}`;
    let compiled = compiledByShape.get(shape);
    if (!compiled) {
      compiled = prepared(build(db, Object.fromEntries(names.map((name) => [name, new Slot(name)])) as V).compile());
      compiledByShape.set(shape, compiled);
    }
    return {
      ...compiled,
      parameters: compiled.parameters.map((parameter) =>
        parameter instanceof Slot ? values[parameter.name] : parameter,
      ),
    };
  };
}
