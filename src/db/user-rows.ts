import type { UsersTable } from './schema.js';
import { readBool, readJson, readTimestamp } from './values.js';
import type { PublicUserRecord, UserRecord } from '../domain/records.js';

/**
 * Rows of the `users` table as every repository reads them (accounts come
 * back joined to sessions, API keys and memberships too): one mapping from
 * either engine's values to the records of `src/domain/`.
 */

/** The columns of `PublicUserRecord`: a list page reads no more than it shows. */
export const PUBLIC_USER_COLUMNS = [
  'users.id',
  'users.username',
  'users.email',
  'users.email_verified',
  'users.name',
  'users.avatar_url',
  'users.company',
  'users.job_title',
  'users.metadata',
  'users.oauth_provider',
  'users.oauth_id',
  'users.is_active',
  'users.is_superuser',
  'users.is_service_account',
  'users.organization_id',
  'users.is_onboarded',
  'users.created',
  'users.updated',
] as const;

export type UserRow = { [K in keyof UsersTable]: unknown };

/** Every column of `users`, once each: the compiler rejects the list when the table gains one it lacks. */
const EVERY_COLUMN: { [K in keyof UsersTable]: K } = {
  id: 'id',
  username: 'username',
  username_lower: 'username_lower',
  email: 'email',
  email_lower: 'email_lower',
  email_verified: 'email_verified',
  name: 'name',
  name_lower: 'name_lower',
  avatar_url: 'avatar_url',
  company: 'company',
  job_title: 'job_title',
  metadata: 'metadata',
  password_hash: 'password_hash',
  oauth_provider: 'oauth_provider',
  oauth_id: 'oauth_id',
  is_active: 'is_active',
  is_superuser: 'is_superuser',
  is_service_account: 'is_service_account',
  is_internal: 'is_internal',
  is_onboarded: 'is_onboarded',
  organization_id: 'organization_id',
  version: 'version',
  credential_version: 'credential_version',
  created: 'created',
  updated: 'updated',
};

/**
 * The columns of `UserRecord`, named (not `users.*`): a statement prepared
 * with them keeps its result type when a newer version adds a column.
 */
export const USER_COLUMNS = Object.values(EVERY_COLUMN).map((column) => `users.${column}` as const);

/** Maps the public columns of a `users` row (either engine). */
export function toPublicRecord(
  row: { [K in (typeof PUBLIC_USER_COLUMNS)[number] extends `users.${infer C}` ? C : never]: unknown },
): PublicUserRecord {
  const r = row as Record<keyof UsersTable, never>;
  return {
    id: r.id,
    username: r.username,
    email: r.email,
    email_verified: readBool(r.email_verified),
    name: r.name,
    avatar_url: r.avatar_url,
    company: r.company,
    job_title: r.job_title,
    metadata: readJson(r.metadata),
    oauth_provider: r.oauth_provider,
    oauth_id: r.oauth_id,
    is_active: readBool(r.is_active),
    is_superuser: readBool(r.is_superuser),
    is_service_account: readBool(r.is_service_account),
    organization_id: r.organization_id,
    is_onboarded: readBool(r.is_onboarded),
    created: readTimestamp(r.created),
    updated: readTimestamp(r.updated),
  };
}

/** Maps a `users` row (either engine) to a `UserRecord`. */
export function toUserRecord(row: UserRow): UserRecord {
  const r = row as Record<keyof UsersTable, never>;
  return {
    ...toPublicRecord(row),
    password_hash: r.password_hash,
    is_internal: readBool(r.is_internal),
    version: Number(r.version),
    credential_version: Number(r.credential_version),
  };
}
