import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { readTimestamp } from '../../db/values.js';
import { toUserRecord as toRecord, type UserRow } from '../../db/user-rows.js';
import type { ApiKeyRecord, UserRecord } from '../../domain/records.js';

export type { ApiKeyRecord } from '../../domain/records.js';

/** A live key with the account it authenticates. */
export interface LiveApiKey {
  key: ApiKeyRecord;
  user: UserRecord;
}

type ApiKeyRow = Omit<ApiKeyRecord, 'created' | 'expires' | 'last_used'> & {
  created: string | Date;
  expires: string | Date | null;
  last_used: string | Date | null;
};

function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    user_id: row.user_id,
    name: row.name,
    created: readTimestamp(row.created),
    expires: row.expires === null ? null : readTimestamp(row.expires),
    last_used: row.last_used === null ? null : readTimestamp(row.last_used),
  };
}

const COLUMNS = [
  'api_keys.id',
  'api_keys.user_id',
  'api_keys.name',
  'api_keys.created',
  'api_keys.expires',
  'api_keys.last_used',
] as const;

export class ApiKeysRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(values: ApiKeyRecord & { key_hash: string }): Promise<void> {
    await this.db.insertInto('api_keys').values(values).execute();
  }

  async listForUser(userId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .select(COLUMNS)
      .where('user_id', '=', userId)
      .orderBy('created')
      .orderBy('id')
      .execute();
    return rows.map(toApiKey);
  }

  /** The live key a hash names, with its account; undefined when unknown or expired. */
  async findLive(keyHash: string, now: string): Promise<LiveApiKey | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .innerJoin('users', 'users.id', 'api_keys.user_id')
      .selectAll('users')
      .select([
        'api_keys.id as key_id',
        'api_keys.name as key_name',
        'api_keys.created as key_created',
        'api_keys.expires as key_expires',
        'api_keys.last_used as key_last_used',
      ])
      .where('api_keys.key_hash', '=', keyHash)
      .where((eb) => eb.or([eb('api_keys.expires', 'is', null), eb('api_keys.expires', '>', now)]))
      .executeTakeFirst();
    if (!row) return undefined;
    const { key_id, key_name, key_created, key_expires, key_last_used, ...user } = row;
    return {
      key: toApiKey({
        id: key_id,
        user_id: user.id,
        name: key_name,
        created: key_created,
        expires: key_expires,
        last_used: key_last_used,
      }),
      user: toRecord(user as UserRow),
    };
  }

  /** Records a use, at most once per `interval` (so that reads do not turn into a write each). */
  async touch(id: string, now: string, notSince: string): Promise<void> {
    await this.db
      .updateTable('api_keys')
      .set({ last_used: now })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used', 'is', null), eb('last_used', '<', notSince)]))
      .execute();
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('api_keys')
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
