/**
 * The database errors the rest of Roster may match on, produced from either
 * driver's errors in one place (`normalising-dialect.ts`). Anything else a
 * driver throws passes through unchanged.
 */

/** A unique constraint refused a write (SQLite SQLITE_CONSTRAINT_UNIQUE / PRIMARYKEY, PostgreSQL 23505). */
export class UniqueViolation extends Error {
  /** The constraint's or column's name as the driver reports it, e.g. `users_username_lower_key`, `users.email_lower`. */
  readonly target: string;
  constructor(target: string, options: { cause: unknown }) {
    super(`unique constraint violated (${target})`, options);
    this.target = target;
  }
}

/** A foreign key refused a write: something it refers to is gone (SQLITE_CONSTRAINT_FOREIGNKEY, 23503). */
export class ForeignKeyViolation extends Error {
  constructor(options: { cause: unknown }) {
    super('foreign key constraint violated', options);
  }
}

/**
 * Worth retrying, not the client's fault: SQLite's lock wait timed out
 * (SQLITE_BUSY), or PostgreSQL aborted the transaction for a serialization
 * failure (40001) or a deadlock (40P01).
 */
export class DatabaseBusy extends Error {
  constructor(options: { cause: unknown }) {
    super('the database is busy', options);
  }
}

/** The typed error for a driver's error, or the error itself. */
export function normaliseDriverError(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const e = error as { code?: unknown; message?: unknown; constraint?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // "UNIQUE constraint failed: users.username_lower"
    return new UniqueViolation(String(e.message).replace(/^.*failed: /, ''), { cause: error });
  }
  if (code === '23505') return new UniqueViolation(String(e.constraint ?? ''), { cause: error });
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503') return new ForeignKeyViolation({ cause: error });
  if (code.startsWith('SQLITE_BUSY') || code === '40001' || code === '40P01') return new DatabaseBusy({ cause: error });
  return error;
}

/** Runs a write; a unique violation becomes the error `conflict` makes (the contract's 409, say). */
export async function uniqueAs<T>(work: () => Promise<T>, conflict: (violation: UniqueViolation) => Error): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UniqueViolation) throw conflict(error);
    throw error;
  }
}
