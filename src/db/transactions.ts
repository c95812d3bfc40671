import type { Kysely } from 'kysely';
import { DatabaseBusy } from './errors.js';
import type { Database } from './schema.js';

/** A transaction the database gave up on (a deadlock, a busy SQLite file) is run again, this often at most. */
const ATTEMPTS = 3;

/** Where statements run: the database, or one open transaction. */
export type Executor = Kysely<Database>;

/**
 * An open transaction, handed from one service to another when their work must
 * commit or roll back together. Opaque to services: only `Transactor` opens it.
 */
export interface Tx {
  readonly executor: Executor;
  /** Runs `work` as the transaction's last statements, after everything else it does (once each). */
  beforeCommit(work: () => Promise<void>): void;
  /** Runs `work` once the transaction has committed (never when it rolls back). */
  afterCommit(work: () => void): void;
}

class OpenTx implements Tx {
  readonly before: (() => Promise<void>)[] = [];
  readonly after: (() => void)[] = [];

  constructor(readonly executor: Executor) {}

  beforeCommit(work: () => Promise<void>): void {
    this.before.push(work);
  }

  afterCommit(work: () => void): void {
    this.after.push(work);
  }
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
   * given, else in a new one, which is run again (up to 3 times) when the
   * database gives up on it (`DatabaseBusy`: a deadlock, a busy SQLite file).
   */
  async run<T>(work: (repos: R, tx: Tx) => Promise<T>, tx?: Tx): Promise<T> {
    if (tx) return work(this.bind(tx.executor), tx);
    for (let attempt = 1; ; attempt++) {
      let open: OpenTx | undefined;
      try {
        const result = await this.db.transaction().execute(async (trx) => {
          open = new OpenTx(trx);
          const value = await work(this.bind(trx), open);
          // Hooks may add hooks: run until none is left.
          for (let i = 0; i < open.before.length; i++) await open.before[i]!();
          return value;
        });
        for (const done of open!.after) done();
        return result;
      } catch (error) {
        // The whole transaction rolled back: running it again is safe (its work is database work).
        if (!(error instanceof DatabaseBusy) || attempt >= ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
      }
    }
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
