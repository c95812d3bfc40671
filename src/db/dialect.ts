/**
 * Everything that differs between SQLite and PostgreSQL lives here: opening a
 * connection, column types for migrations, parameter conversion, and the
 * recognition of constraint violations. The rest of Roster is engine-neutral.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import {
  CompiledQuery,
  Kysely,
  OperationNodeTransformer,
  PostgresAdapter,
  PostgresDialect,
  PrimitiveValueListNode,
  SqliteDialect,
  SqliteDriver,
  ValueNode,
  sql,
  type DatabaseConnection,
  type Driver,
  type SqliteDialectConfig,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import type { Database } from './schema.js';

export type Engine = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  close(): Promise<void>;
}

export interface OpenOptions {
  poolSize?: number;
  /** PostgreSQL only: the schema to work in (tests isolate each file in its own). */
  schema?: string;
}

/** Opens the database named by a `sqlite:<path>` or `postgres://` URL. */
export function openDatabase(url: string, options: OpenOptions = {}): DatabaseHandle {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  return openPostgres(url, options);
}

function openSqlite(path: string): DatabaseHandle {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new BetterSqlite3(path);
  // WAL lets readers run beside the writer; the busy timeout makes a second
  // process wait for the write lock instead of failing with SQLITE_BUSY.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: sqlite }),
    plugins: [new SqliteValuesPlugin()],
  });
  return { db, engine: 'sqlite', close: () => db.destroy() };
}

function openPostgres(url: string, options: OpenOptions): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, engine: 'postgres', close: () => db.destroy() };
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

/** A unique-constraint violation, normalised across drivers. */
export interface UniqueViolation {
  /** The constraint's or column's name as the driver reports it, e.g. `users_username_lower_key`. */
  target: string;
}

/** Recognises a unique violation (SQLite SQLITE_CONSTRAINT_UNIQUE / PostgreSQL 23505). */
export function asUniqueViolation(error: unknown): UniqueViolation | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; message?: unknown; constraint?: unknown };
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // "UNIQUE constraint failed: users.username_lower"
    return { target: String(e.message).replace(/^.*failed: /, '') };
  }
  if (e.code === '23505') return { target: String(e.constraint ?? '') };
  return undefined;
}

/** Recognises a foreign-key violation (SQLite SQLITE_CONSTRAINT_FOREIGNKEY / PostgreSQL 23503). */
export function isForeignKeyViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}

/**
 * A failure worth retrying, not the client's fault: SQLite's lock wait timed
 * out (SQLITE_BUSY), or PostgreSQL aborted a transaction for a serialization
 * failure (40001) or deadlock (40P01).
 */
export function isTransientFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return (
    (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) || code === '40001' || code === '40P01'
  );
}

/** better-sqlite3 binds no booleans: send them as 1 / 0. */
class SqliteValuesPlugin implements KyselyPlugin {
  readonly #transformer = new SqliteValuesTransformer();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

class SqliteValuesTransformer extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    const value = super.transformValue(node);
    return typeof value.value === 'boolean' ? { ...value, value: value.value ? 1 : 0 } : value;
  }

  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    return PrimitiveValueListNode.create(node.values.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v)));
  }
}
