import type { Kysely } from 'kysely';
import { compiledOnce } from '../../db/dialect.js';
import type { Database } from '../../db/schema.js';
import { toUserRecord as toRecord, USER_COLUMNS, type UserRow } from '../../db/user-rows.js';
import type { UserRecord } from '../../domain/records.js';

export interface SessionValues {
  id: string;
  token_hash: string;
  user_id: string;
  credential_version: number;
  created: string;
  expires: string;
  api_key_id: string | null;
}

export interface LiveSession {
  sessionId: string;
  apiKeyId: string | null;
  user: UserRecord;
}

/** Every authenticated request runs it: compiled once (parameters: the token hash, now). */
const LIVE_SESSION = compiledOnce((db) =>
  db
    .selectFrom('sessions')
    .innerJoin('users', (join) =>
      join
        .onRef('users.id', '=', 'sessions.user_id')
        .onRef('users.credential_version', '=', 'sessions.credential_version'),
    )
    .select(USER_COLUMNS)
    .select(['sessions.id as session_id', 'sessions.api_key_id as session_api_key_id'])
    .where('sessions.token_hash', '=', '')
    .where('sessions.expires', '>', ''),
);

export class SessionsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(values: SessionValues): Promise<void> {
    await this.db.insertInto('sessions').values(values).execute();
  }

  /** The live session a token hash names, with its account; undefined when expired or unknown. */
  async findLive(tokenHash: string, now: string): Promise<LiveSession | undefined> {
    const [row] = (await this.db.executeQuery(LIVE_SESSION(this.db, [tokenHash, now]))).rows;
    if (!row) return undefined;
    const { session_id, session_api_key_id, ...user } = row;
    return { sessionId: session_id, apiKeyId: session_api_key_id, user: toRecord(user as UserRow) };
  }

  /** Keeps a session alive across its account's credential change (the session that made the change). */
  async rebind(id: string, credentialVersion: number): Promise<void> {
    await this.db.updateTable('sessions').set({ credential_version: credentialVersion }).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id', '=', id).execute();
  }

  /** Revokes every session of a user, except `keepId` when given. */
  async deleteForUser(userId: string, keepId?: string): Promise<number> {
    let query = this.db.deleteFrom('sessions').where('user_id', '=', userId);
    if (keepId !== undefined) query = query.where('id', '!=', keepId);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Live sessions of a user (what a delete would end): unexpired, of its current credential version. */
  async countLiveForUser(userId: string, now: string): Promise<number> {
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('sessions.user_id', '=', userId)
      .where('sessions.expires', '>', now)
      .whereRef('sessions.credential_version', '=', 'users.credential_version')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Drops a user's expired sessions (they already fail; this only keeps the table small). */
  async deleteExpiredForUser(userId: string, now: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('user_id', '=', userId).where('expires', '<=', now).execute();
  }
}
