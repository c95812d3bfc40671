import type { Kysely } from 'kysely';
import { forUpdate, lockKey } from '../../db/dialect.js';
import type { Database, DeviceLoginStatus } from '../../db/schema.js';
import { readTimestamp } from '../../db/values.js';

export interface DeviceLoginRecord {
  id: string;
  user_code: string;
  client_id: string | null;
  status: DeviceLoginStatus;
  user_id: string | null;
  credential_version: number | null;
  interval: number;
  last_poll: string | null;
  expires: string;
}

type Row = Omit<DeviceLoginRecord, 'last_poll' | 'expires'> & {
  last_poll: string | Date | null;
  expires: string | Date;
};

function toRecord(row: Row): DeviceLoginRecord {
  return {
    ...row,
    interval: Number(row.interval),
    credential_version: row.credential_version === null ? null : Number(row.credential_version),
    last_poll: row.last_poll === null ? null : readTimestamp(row.last_poll),
    expires: readTimestamp(row.expires),
  };
}

const COLUMNS = [
  'id',
  'user_code',
  'client_id',
  'status',
  'user_id',
  'credential_version',
  'interval',
  'last_poll',
  'expires',
] as const;

export class DeviceLoginsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Stores a device login unless its address already has `max` pending ones
   * (logins that ended an hour ago are dropped first); answers whether it was
   * stored. Callers run it in a transaction.
   */
  async insertBounded(
    values: {
      id: string;
      device_code_hash: string;
      user_code: string;
      client_id: string | null;
      address_key: string;
      interval: number;
      created: string;
      expires: string;
    },
    now: string,
    max: number,
  ): Promise<boolean> {
    // Concurrent starts from one address take turns, so the count below stays a bound.
    await lockKey(this.db, `device_logins:${values.address_key}`);
    const longAgo = new Date(Date.parse(now) - 3600_000).toISOString();
    await this.db.deleteFrom('device_logins').where('expires', '<=', longAgo).execute();
    const pending = await this.db
      .selectFrom('device_logins')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('address_key', '=', values.address_key)
      .where('expires', '>', now)
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    if (Number(pending.n) >= max) return false;
    await this.db
      .insertInto('device_logins')
      .values({ ...values, status: 'pending', user_id: null, credential_version: null, last_poll: null })
      .execute();
    return true;
  }

  async userCodeTaken(userCode: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('device_logins')
      .select('id')
      .where('user_code', '=', userCode)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The device login of a device code, locked until the transaction ends. */
  async findByDeviceCode(deviceCodeHash: string): Promise<DeviceLoginRecord | undefined> {
    const query = this.db.selectFrom('device_logins').select(COLUMNS).where('device_code_hash', '=', deviceCodeHash);
    const row = await forUpdate(this.db, query).executeTakeFirst();
    return row && toRecord(row as Row);
  }

  /** The device login of a user code, locked until the transaction ends. */
  async findByUserCode(userCode: string): Promise<DeviceLoginRecord | undefined> {
    const query = this.db.selectFrom('device_logins').select(COLUMNS).where('user_code', '=', userCode);
    const row = await forUpdate(this.db, query).executeTakeFirst();
    return row && toRecord(row as Row);
  }

  async update(
    id: string,
    values: Partial<{
      status: DeviceLoginStatus;
      user_id: string;
      credential_version: number;
      interval: number;
      last_poll: string;
    }>,
  ): Promise<void> {
    await this.db.updateTable('device_logins').set(values).where('id', '=', id).execute();
  }
}
