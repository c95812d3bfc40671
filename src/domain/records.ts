/**
 * The records Roster's layers hand each other: engine-neutral values, as the
 * repositories read them. Pure types: the access rules (`src/auth/`) and the
 * modules share them without one importing the other.
 */

/** A user as the rest of Roster sees it: engine-neutral values. */
export interface UserRecord {
  id: string;
  username: string;
  email: string | null;
  /** Set by a superuser or a provider; false for an email the account set on itself. */
  email_verified: boolean;
  name: string | null;
  avatar_url: string | null;
  company: string | null;
  job_title: string | null;
  metadata: Record<string, unknown>;
  password_hash: string | null;
  oauth_provider: string | null;
  oauth_id: string | null;
  is_active: boolean;
  is_superuser: boolean;
  is_service_account: boolean;
  is_internal: boolean;
  is_onboarded: boolean;
  organization_id: string | null;
  version: number;
  credential_version: number;
  created: string;
  updated: string;
}

/** What a list shows of an account: its public fields only (no hash, no internal flags). */
export type PublicUserRecord = Omit<UserRecord, 'password_hash' | 'is_internal' | 'version' | 'credential_version'>;

/** Which accounts a query may return. Decided by `auth/access.ts`. */
export type UserScope = { kind: 'all' } | { kind: 'visible-to'; userId: string; organizationIds: readonly string[] };

/** Which events a query may return. Decided by `auth/access.ts`. */
export type EventScope =
  | { kind: 'all' }
  | { kind: 'visible-to'; userId: string; adminOrganizationIds: readonly string[] };

/** A workspace as the rest of Roster sees it. */
export interface WorkspaceRecord {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  version: number;
  created: string;
  updated: string;
}

/** An API key as listed: never the key itself, nor its hash. */
export interface ApiKeyRecord {
  id: string;
  user_id: string;
  name: string;
  created: string;
  expires: string | null;
  last_used: string | null;
}

/** Roles in organizations and workspaces. */
export type Role = 'admin' | 'editor' | 'viewer';

/** An invitation's stored state. */
export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'revoked' | 'expired';

export interface InvitationRecord {
  id: string;
  organization_id: string;
  organization_name: string;
  role: Role;
  email: string | null;
  user_id: string | null;
  invited_by: string;
  /** As stored: `pending` until answered (expiry is applied by the service). */
  status: InvitationStatus;
  created: string;
  expires: string;
}

/** A registered webhook, without its secret. */
export interface WebhookRecord {
  id: string;
  url: string;
  event_types: string[];
  description: string | null;
  enabled: boolean;
  version: number;
  created: string;
  updated: string;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** One queued delivery of an event to a webhook, and how its attempts went. */
export interface DeliveryRecord {
  id: string;
  webhook_id: string;
  event_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt: string;
  response_code: number | null;
  last_error: string | null;
  /** When it was first attempted (its retry window counts from there). */
  first_attempt: string | null;
  /** Whether an instance holds it right now (a lease). */
  in_flight: boolean;
  created: string;
  updated: string;
}
