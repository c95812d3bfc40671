import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { readTimestamp } from '../../db/values.js';

export interface FailureWindow {
  failures: number;
  resetsAt: string;
}

export class LoginFailuresRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Counts one attempt for `key`, starting a new window ending at `windowEnd`
   * when the old one ended; answers the window as it now stands.
   */
  async increment(key: string, now: string, windowEnd: string, nameKey?: string): Promise<FailureWindow> {
    const row = await this.db
      .insertInto('login_failures')
      .values({ key, name_key: nameKey ?? null, failures: 1, resets_at: windowEnd })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          failures: sql`case when login_failures.resets_at <= ${now} then 1 else login_failures.failures + 1 end`,
          resets_at: sql`case when login_failures.resets_at <= ${now} then excluded.resets_at else login_failures.resets_at end`,
        }),
      )
      .returning(['failures', 'resets_at'])
      .executeTakeFirstOrThrow();
    return { failures: Number(row.failures), resetsAt: readTimestamp(row.resets_at) };
  }

  /** Gives one attempt back. */
  async decrement(key: string): Promise<void> {
    await this.db
      .updateTable('login_failures')
      .set((eb) => ({ failures: eb('failures', '-', 1) }))
      .where('key', '=', key)
      .where('failures', '>', 0)
      .execute();
  }

  async delete(key: string): Promise<void> {
    await this.db.deleteFrom('login_failures').where('key', '=', key).execute();
  }

  /** Deletes the per-name counters of these names, at every address. */
  async deleteByNames(nameKeys: string[]): Promise<void> {
    if (nameKeys.length === 0) return;
    await this.db.deleteFrom('login_failures').where('name_key', 'in', nameKeys).execute();
  }

  async deleteEnded(now: string): Promise<void> {
    await this.db.deleteFrom('login_failures').where('resets_at', '<=', now).execute();
  }
}
