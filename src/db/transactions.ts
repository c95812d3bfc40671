import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Where statements run: the database, or one open transaction. */
export type Executor = Kysely<Database>;

/**
 * An open transaction, handed from one service to another when their work must
 * commit or roll back together. Opaque to services: only `Transactor` opens it.
 */
export interface Tx {
  readonly executor: Executor;
}

/**
 * The repositories one service uses, and the way to run its work in a
 * transaction with those same repositories rebound to it. Each service gets
 * its own (wired in `src/services.ts`): no service holds another module's
 * repositories.
 */
export class Transactor<R> {
  /** The repositories bound to the database (single statements, reads). */
  readonly repos: R;

  constructor(
    private readonly db: Executor,
    private readonly bind: (executor: Executor) => R,
  ) {
    this.repos = bind(db);
  }

  /** The repositories bound to `tx` when given (work inside a caller's transaction), else to the database. */
  on(tx: Tx | undefined): R {
    return tx ? this.bind(tx.executor) : this.repos;
  }

  /**
   * Runs `work` all or nothing: in the caller's transaction when `tx` is
   * given, else in a new one.
   */
  run<T>(work: (repos: R, tx: Tx) => Promise<T>, tx?: Tx): Promise<T> {
    if (tx) return work(this.bind(tx.executor), tx);
    return this.db.transaction().execute((trx) => work(this.bind(trx), { executor: trx }));
  }
}

/** A transactor for repositories that each take the executor they run on. */
export function transactor<R extends Record<string, object>>(
  db: Executor,
  repositories: { [K in keyof R]: new (executor: Executor) => R[K] },
): Transactor<R> {
  return new Transactor(db, (executor) => {
    const bound = {} as R;
    for (const key of Object.keys(repositories) as (keyof R)[]) bound[key] = new repositories[key](executor);
    return bound;
  });
}
