import type { Kysely } from 'kysely';
import { lockKey } from '../../db/dialect.js';
import type { Database } from '../../db/schema.js';
import { readTimestamp } from '../../db/values.js';

export class SsoLoginsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Stores a pending login unless its address already has `max` pending ones
   * (expired ones are dropped first); answers whether it was stored. Callers
   * run it in a transaction so that the count and the insert go together.
   */
  async insertBounded(
    values: { state_hash: string; code_verifier: string; nonce: string; expires: string; address_key: string },
    now: string,
    max: number,
  ): Promise<boolean> {
    // Concurrent starts from one address take turns, so the count below stays a bound.
    await lockKey(this.db, `sso_logins:${values.address_key}`);
    await this.db.deleteFrom('sso_logins').where('expires', '<=', now).execute();
    const pending = await this.db
      .selectFrom('sso_logins')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('address_key', '=', values.address_key)
      .executeTakeFirstOrThrow();
    if (Number(pending.n) >= max) return false;
    await this.db.insertInto('sso_logins').values(values).execute();
    return true;
  }

  /** Takes a pending login out (it can complete once); undefined when unknown, used or expired. */
  async take(stateHash: string, now: string): Promise<{ code_verifier: string; nonce: string } | undefined> {
    const row = await this.db
      .deleteFrom('sso_logins')
      .where('state_hash', '=', stateHash)
      .returning(['code_verifier', 'nonce', 'expires'])
      .executeTakeFirst();
    if (!row) return undefined;
    return readTimestamp(row.expires) > now ? { code_verifier: row.code_verifier, nonce: row.nonce } : undefined;
  }
}
