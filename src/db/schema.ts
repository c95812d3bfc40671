import type { ColumnType } from 'kysely';

/**
 * Table types as Kysely sees them. Values are engine-neutral on the way in
 * (booleans, ISO 8601 strings, JSON text); on the way out SQLite gives 0/1,
 * strings and JSON text while PostgreSQL gives booleans, Dates and objects,
 * so reads go through `db/values.ts`.
 */
type Bool = ColumnType<boolean | number, boolean, boolean>;
type Timestamp = ColumnType<string | Date, string, string>;
type Json = ColumnType<string | Record<string, unknown>, string, string>;

export interface UsersTable {
  id: string;
  username: string;
  /** Lower-cased username: the unique key, so usernames are unique case-insensitively. */
  username_lower: string;
  email: string | null;
  /** Lower-cased email: unique, and what filters and login compare with. */
  email_lower: string | null;
  name: string | null;
  avatar_url: string | null;
  company: string | null;
  job_title: string | null;
  metadata: Json;
  password_hash: string | null;
  oauth_provider: string | null;
  oauth_id: string | null;
  is_active: Bool;
  is_superuser: Bool;
  is_service_account: Bool;
  is_internal: Bool;
  is_onboarded: Bool;
  organization_id: string | null;
  /** Bumped on every update: the ETag, and the compare-and-set guard of `If-Match`. */
  version: number;
  created: Timestamp;
  updated: Timestamp;
}

export interface SessionsTable {
  id: string;
  /** SHA-256 of the access token; the token itself is never stored. */
  token_hash: string;
  user_id: string;
  created: Timestamp;
  expires: Timestamp;
}

export interface LoginFailuresTable {
  /** SHA-256 of `u:<username>` or `a:<address>`: attempted usernames are not kept in clear. */
  key: string;
  failures: number;
  resets_at: Timestamp;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  settings: SettingsTable;
  login_failures: LoginFailuresTable;
}

export type UserRow = {
  [K in keyof UsersTable]: UsersTable[K] extends ColumnType<infer S, unknown, unknown> ? S : UsersTable[K];
};
