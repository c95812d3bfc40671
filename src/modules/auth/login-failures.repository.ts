import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { readTimestamp } from '../../db/values.js';

export interface FailureWindow {
  failures: number;
  resetsAt: string;
}

export class LoginFailuresRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The live windows among `keys` (windows that ended count as none). */
  async findLive(keys: string[], now: string): Promise<Map<string, FailureWindow>> {
    const rows = await this.db
      .selectFrom('login_failures')
      .select(['key', 'failures', 'resets_at'])
      .where('key', 'in', keys)
      .where('resets_at', '>', now)
      .execute();
    return new Map(rows.map((r) => [r.key, { failures: Number(r.failures), resetsAt: readTimestamp(r.resets_at) }]));
  }

  /** Counts one failure for `key`, starting a new window ending at `windowEnd` when the old one ended. */
  async increment(key: string, now: string, windowEnd: string): Promise<void> {
    await this.db
      .insertInto('login_failures')
      .values({ key, failures: 1, resets_at: windowEnd })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          failures: sql`case when login_failures.resets_at <= ${now} then 1 else login_failures.failures + 1 end`,
          resets_at: sql`case when login_failures.resets_at <= ${now} then excluded.resets_at else login_failures.resets_at end`,
        }),
      )
      .execute();
  }

  async delete(key: string): Promise<void> {
    await this.db.deleteFrom('login_failures').where('key', '=', key).execute();
  }

  async deleteEnded(now: string): Promise<void> {
    await this.db.deleteFrom('login_failures').where('resets_at', '<=', now).execute();
  }
}
