import type { DeliveryStatus, InvitationStatus, Role } from '../domain/records.js';
import type { ColumnType } from 'kysely';

/**
 * Table types as Kysely sees them. Values are engine-neutral on the way in
 * (booleans, ISO 8601 strings, JSON text); on the way out SQLite gives 0/1,
 * strings and JSON text while PostgreSQL gives booleans, Dates and objects,
 * so reads go through `db/values.ts`.
 */
type Bool = ColumnType<boolean | number, boolean, boolean>;
type Timestamp = ColumnType<string | Date, string, string>;
type NullableTimestamp = ColumnType<string | Date | null, string | null, string | null>;
type Json = ColumnType<string | Record<string, unknown>, string, string>;

export interface UsersTable {
  id: string;
  username: string;
  /** Lower-cased username: the unique key, so usernames are unique case-insensitively. */
  username_lower: string;
  email: string | null;
  /** Lower-cased email: unique, and what filters and login compare with. */
  email_lower: string | null;
  /**
   * Whether the email is known to be the account's: set by a superuser or by a provider.
   * An email a local account set on itself is not, and reserves nothing against a
   * provider's verified claim (API.md 3.2).
   */
  email_verified: Bool;
  name: string | null;
  /** Lower-cased name, for prefix search. */
  name_lower: string | null;
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
  /**
   * Bumped when the account's credentials change (password, deactivation).
   * A session is live only while it carries the account's current value, so
   * a login racing a password change can never outlive it.
   */
  credential_version: number;
  created: Timestamp;
  updated: Timestamp;
}

export interface SessionsTable {
  id: string;
  /** SHA-256 of the access token; the token itself is never stored. */
  token_hash: string;
  user_id: string;
  /** The account's `credential_version` when the session was opened. */
  credential_version: number;
  created: Timestamp;
  expires: Timestamp;
  /** Set when the session was obtained by logging in with an API key; it ends with the key. */
  api_key_id: string | null;
}

export type { Role } from '../domain/records.js';

export interface OrganizationsTable {
  id: string;
  name: string;
  /** Lower-cased name: organization names are unique case-insensitively. */
  name_lower: string;
  description: string | null;
  version: number;
  created: Timestamp;
  updated: Timestamp;
}

export interface OrganizationMembersTable {
  organization_id: string;
  user_id: string;
  role: Role;
  created: Timestamp;
}

export interface WorkspacesTable {
  id: string;
  organization_id: string;
  name: string;
  name_lower: string;
  description: string | null;
  version: number;
  created: Timestamp;
  updated: Timestamp;
}

export interface WorkspaceMembersTable {
  workspace_id: string;
  user_id: string;
  role: Role;
  created: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  /** SHA-256 of the key; the key itself is shown once and never stored. */
  key_hash: string;
  created: Timestamp;
  expires: NullableTimestamp;
  last_used: NullableTimestamp;
}

export interface LoginFailuresTable {
  /** SHA-256 of `n:<name>|<address>` or `a:<address>`: attempted names are not kept in clear. */
  key: string;
  /** SHA-256 of `n:<name>` for the per-name counters, so that a superuser can clear an account's. */
  name_key: string | null;
  failures: number;
  resets_at: Timestamp;
}

export interface SsoLoginsTable {
  /** SHA-256 of the `state` sent to the provider. */
  state_hash: string;
  code_verifier: string;
  nonce: string;
  expires: Timestamp;
  /** SHA-256 of the client address that started it: pending logins are bounded per address. */
  address_key: string;
}

export type DeviceLoginStatus = 'pending' | 'approved' | 'denied' | 'consumed';

export interface DeviceLoginsTable {
  id: string;
  /** SHA-256 of the device code the client polls with. */
  device_code_hash: string;
  /** 8 characters, without the hyphen shown to people. */
  user_code: string;
  client_id: string | null;
  /** SHA-256 of the client address that started it: pending device logins are bounded per address. */
  address_key: string;
  status: DeviceLoginStatus;
  /** The account that approved (or denied) it. */
  user_id: string | null;
  /** The approver's credential version then: a password change or deactivation since voids the approval. */
  credential_version: number | null;
  /** Seconds a client must wait between polls (raised by 5 at each `slow_down`). */
  interval: number;
  last_poll: NullableTimestamp;
  created: Timestamp;
  expires: Timestamp;
}

export type { InvitationStatus } from '../domain/records.js';

export interface InvitationsTable {
  id: string;
  organization_id: string;
  role: Role;
  /** Set when invited by email; matched against accounts' verified emails. */
  email: string | null;
  email_lower: string | null;
  /** Set when invited by account. */
  user_id: string | null;
  invited_by: string;
  /** Stored as pending until answered; `expired` is derived from `expires` when read. */
  status: InvitationStatus;
  created: Timestamp;
  expires: Timestamp;
  updated: Timestamp;
}

export interface EventsTable {
  id: string;
  type: string;
  occurred: Timestamp;
  actor_id: string | null;
  actor_username: string | null;
  actor_kind: string | null;
  target_type: string | null;
  target_id: string | null;
  organization_id: string | null;
  /** `{"field": [before, after]}`. */
  changes: Json;
  request_id: string | null;
  request_ip: string | null;
  request_user_agent: string | null;
}

export interface WebhooksTable {
  id: string;
  url: string;
  /** A list of types, `prefix.*` patterns or `*`. */
  event_types: ColumnType<string | string[], string, string>;
  description: string | null;
  /** The signing secret, sealed with the service's secret key (never the secret in clear). */
  secret: string;
  enabled: Bool;
  version: number;
  /**
   * The last event this webhook has taken into its deliveries (its place in
   * the outbox, the events table); null when an older version registered it.
   */
  queued_through: string | null;
  created: Timestamp;
  updated: Timestamp;
}

export type { DeliveryStatus } from '../domain/records.js';

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt: Timestamp;
  first_attempt: Timestamp | null;
  /** Set while one instance has the delivery in flight (a lease). */
  locked_until: Timestamp | null;
  response_code: number | null;
  last_error: string | null;
  created: Timestamp;
  updated: Timestamp;
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
  organizations: OrganizationsTable;
  organization_members: OrganizationMembersTable;
  workspaces: WorkspacesTable;
  workspace_members: WorkspaceMembersTable;
  api_keys: ApiKeysTable;
  sso_logins: SsoLoginsTable;
  device_logins: DeviceLoginsTable;
  invitations: InvitationsTable;
  events: EventsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  user_count: UserCountTable;
}

/** The number of accounts, kept by triggers: the sum of `delta` (one row on SQLite; deltas on PostgreSQL). */
export interface UserCountTable {
  delta: number | string;
}

export type UserRow = {
  [K in keyof UsersTable]: UsersTable[K] extends ColumnType<infer S, unknown, unknown> ? S : UsersTable[K];
};
