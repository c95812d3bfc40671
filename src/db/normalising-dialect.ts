/**
 * A Kysely dialect wrapper that turns driver errors into the typed errors of
 * `errors.ts` at the persistence boundary, for every query and transaction
 * step, so that no layer above has to know either driver's error codes.
 */
import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { normaliseDriverError } from './errors.js';

async function normalised<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw normaliseDriverError(error);
  }
}

class NormalisingConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return normalised(() => this.inner.executeQuery<R>(query));
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (error) {
      throw normaliseDriverError(error);
    }
  }
}

const inner = (connection: DatabaseConnection) => (connection as NormalisingConnection).inner;

class NormalisingDriver implements Driver {
  constructor(private readonly driver: Driver) {}

  init(): Promise<void> {
    return this.driver.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new NormalisingConnection(await normalised(() => this.driver.acquireConnection()));
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return normalised(() => this.driver.beginTransaction(inner(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return normalised(() => this.driver.commitTransaction(inner(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return normalised(() => this.driver.rollbackTransaction(inner(connection)));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.driver.releaseConnection(inner(connection));
  }

  destroy(): Promise<void> {
    return this.driver.destroy();
  }
}

export class NormalisingDialect implements Dialect {
  constructor(private readonly dialect: Dialect) {}

  createAdapter(): DialectAdapter {
    return this.dialect.createAdapter();
  }

  createDriver(): Driver {
    return new NormalisingDriver(this.dialect.createDriver());
  }

  createQueryCompiler(): QueryCompiler {
    return this.dialect.createQueryCompiler();
  }

  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.dialect.createIntrospector(db);
  }
}
