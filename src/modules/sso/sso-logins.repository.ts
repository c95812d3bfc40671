import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { readTimestamp } from '../../db/values.js';

export class SsoLoginsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(values: { state_hash: string; code_verifier: string; nonce: string; expires: string }, now: string) {
    await this.db.deleteFrom('sso_logins').where('expires', '<=', now).execute();
    await this.db.insertInto('sso_logins').values(values).execute();
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
