/**
 * Who may see and change what: the visibility rule of API.md 4.1 and the
 * permission rules of sections 4 and 5, in one place. Services load the
 * caller's affiliations, call these, and throw the contract's errors; routes
 * never decide access themselves.
 */
import type { Role } from '../db/schema.js';
import type { UserRecord, UserScope, WorkspaceRecord } from '../domain/records.js';

/** The authenticated caller of a request. */
export interface Principal {
  user: UserRecord;
  /** The session of the access token used, or null when an API key was used directly. */
  sessionId: string | null;
  /** The API key used, directly or through the session it opened. */
  apiKeyId: string | null;
  /** The client's address (rate limits of password checks count against it). */
  address: string;
}

/**
 * The command line (API.md 9) acts as an operator: a superuser that is no
 * account. Its id is the nil UUID, which no account has, so "oneself" rules
 * never apply to it (it sets the internal account's password without the
 * current one) while every other rule does (it cannot deactivate the
 * internal account, nor set a password on an OAuth2 account).
 */
export function operatorPrincipal(): Principal {
  const now = new Date(0).toISOString();
  return {
    user: {
      id: '00000000-0000-0000-0000-000000000000',
      username: 'cli',
      email: null,
      email_verified: false,
      name: 'command line',
      avatar_url: null,
      company: null,
      job_title: null,
      metadata: {},
      password_hash: null,
      oauth_provider: null,
      oauth_id: null,
      is_active: true,
      is_superuser: true,
      is_service_account: false,
      is_internal: false,
      is_onboarded: true,
      organization_id: null,
      version: 1,
      credential_version: 1,
      created: now,
      updated: now,
    },
    sessionId: null,
    apiKeyId: null,
    address: 'cli',
  };
}

/** The caller's organizations: its memberships and, for a service account, its own organization. */
export interface Affiliations {
  roles: ReadonlyMap<string, Role>;
  organizationIds: readonly string[];
}

/** Where the caller's memberships are read from (the organizations' repository). */
export interface MembershipReader {
  membershipsOf(userId: string): Promise<{ organization_id: string; role: Role }[]>;
}

/**
 * Loads the caller's organizations, once per check. Superusers see and may do
 * everything, so theirs are not loaded.
 */
export async function loadAffiliations(reader: MembershipReader, principal: Principal): Promise<Affiliations> {
  return affiliations(principal, principal.user.is_superuser ? [] : await reader.membershipsOf(principal.user.id));
}

export function affiliations(
  principal: Principal,
  memberships: { organization_id: string; role: Role }[],
): Affiliations {
  const roles = new Map(memberships.map((m) => [m.organization_id, m.role]));
  const ids = new Set(roles.keys());
  if (principal.user.organization_id) ids.add(principal.user.organization_id);
  return { roles, organizationIds: [...ids] };
}

const isSuperuser = (p: Principal) => p.user.is_superuser;
const isSelf = (p: Principal, target: UserRecord) => p.user.id === target.id;

// ---- users (section 4) ----

/** Superusers see every account; others themselves, the members and service accounts of their organizations. */
export function userScope(principal: Principal, aff: Affiliations | undefined): UserScope {
  if (isSuperuser(principal)) return { kind: 'all' };
  return { kind: 'visible-to', userId: principal.user.id, organizationIds: aff?.organizationIds ?? [] };
}

/** Whether the caller administers the organization a service account belongs to. */
export function administersServiceAccount(aff: Affiliations, target: UserRecord): boolean {
  return (
    target.is_service_account && target.organization_id !== null && aff.roles.get(target.organization_id) === 'admin'
  );
}

/** Profile fields, username, email (4.3): the user itself, a superuser, an admin of a service account's organization. */
export function canEditProfile(p: Principal, aff: Affiliations, target: UserRecord): boolean {
  return isSelf(p, target) || isSuperuser(p) || administersServiceAccount(aff, target);
}

/** `is_onboarded` (4.3): the user itself or a superuser. */
export function canSetOnboarded(p: Principal, target: UserRecord): boolean {
  return isSelf(p, target) || isSuperuser(p);
}

/** `is_active` (4.3): a superuser; an organization admin for its service accounts. */
export function canSetActive(p: Principal, aff: Affiliations, target: UserRecord): boolean {
  return isSuperuser(p) || administersServiceAccount(aff, target);
}

/** `is_superuser` (4.3): a superuser. */
export function canSetSuperuser(p: Principal): boolean {
  return isSuperuser(p);
}

/** `password` (4.3): the user itself (with its current password) or a superuser. */
export function canSetPassword(p: Principal, target: UserRecord): boolean {
  return isSelf(p, target) || isSuperuser(p);
}

/** Whether a password change must prove the current password: always when changing one's own. */
export function mustConfirmPassword(p: Principal, target: UserRecord): boolean {
  return isSelf(p, target);
}

/** Deleting an account (4.4): a superuser, the user itself, an admin of a service account's organization. */
export function canDelete(p: Principal, aff: Affiliations, target: UserRecord | undefined): boolean {
  return isSuperuser(p) || (target !== undefined && (isSelf(p, target) || administersServiceAccount(aff, target)));
}

/** Creating local accounts (4.5): superusers only. */
export function canCreateUsers(p: Principal): boolean {
  return isSuperuser(p);
}

/** Marking an email verified or not (3.2): superusers only. */
export function canVerifyEmail(p: Principal): boolean {
  return isSuperuser(p);
}

/** Adding an account to an organization without an invitation (5.1): superusers only. */
export function canAddMembersDirectly(p: Principal): boolean {
  return isSuperuser(p);
}

/** Clearing an account's failed-login counters (3.3): superusers only. */
export function canClearLoginFailures(p: Principal): boolean {
  return isSuperuser(p);
}

/** API keys of a service account (5.2): a superuser or an admin of its organization. */
export function canManageApiKeys(p: Principal, aff: Affiliations, target: UserRecord): boolean {
  return isSuperuser(p) || administersServiceAccount(aff, target);
}

// ---- organizations (5.1, 5.2) ----

/** Any human account may create an organization. */
export function canCreateOrganization(p: Principal): boolean {
  return !p.user.is_service_account;
}

/** Reading an organization, its members and workspaces: its members (and its service accounts) and superusers. */
export function canReadOrganization(p: Principal, aff: Affiliations, organizationId: string): boolean {
  return isSuperuser(p) || aff.organizationIds.includes(organizationId);
}

/** Changing an organization, its members and service accounts: its admins and superusers. */
export function canAdministerOrganization(p: Principal, aff: Affiliations, organizationId: string): boolean {
  return isSuperuser(p) || aff.roles.get(organizationId) === 'admin';
}

/** Leaving an organization: any member may remove itself. */
export function canLeaveOrganization(p: Principal, aff: Affiliations, organizationId: string, userId: string): boolean {
  return p.user.id === userId && aff.roles.has(organizationId);
}

// ---- workspaces (5.3) ----

/** Creating workspaces: organization admins and editors (and superusers). */
export function canCreateWorkspace(p: Principal, aff: Affiliations, organizationId: string): boolean {
  const role = aff.roles.get(organizationId);
  return isSuperuser(p) || role === 'admin' || role === 'editor';
}

/** Changing a workspace and its members: organization admins, workspace admins, superusers. */
export function canAdministerWorkspace(
  p: Principal,
  aff: Affiliations,
  workspace: WorkspaceRecord,
  workspaceRole: Role | undefined,
): boolean {
  return isSuperuser(p) || aff.roles.get(workspace.organization_id) === 'admin' || workspaceRole === 'admin';
}
