/**
 * Who may see and change what: the visibility rule of API.md 4.1 and the
 * permission rules of sections 4 and 5, in one place. The rules are pure
 * functions; `AccessService` loads what they need (the caller's affiliations,
 * the organization or workspace asked for), applies them and throws the
 * contract's errors. Routes never decide access themselves.
 */
import type { Role } from '../db/schema.js';
import type { Transactor, Tx } from '../db/transactions.js';
import { IllegalOperationError, KeyError } from '../domain/errors.js';
import type { Actor, Changes, EventDraft, EventTarget, EventType, RequestContext } from '../domain/events.js';
import type { EventScope, UserRecord, UserScope } from '../domain/records.js';
import { isUuid } from '../domain/text.js';
import type { AccessRepository, OrganizationRef, WorkspaceRef } from './access.repository.js';

/** The authenticated caller of a request. */
export interface Principal {
  user: UserRecord;
  /** The session of the access token used, or null when an API key was used directly. */
  sessionId: string | null;
  /** The API key used, directly or through the session it opened. */
  apiKeyId: string | null;
  /** The client's address (rate limits of password checks count against it). */
  address: string;
  /** The request it came with (audit events record it); null for the command line. */
  request: RequestContext | null;
  /** Set for the command line's operator (its events' actor kind is `cli`). */
  operator?: true;
}

/** The actor an event records for a caller. */
export function actorOf(principal: Principal): Actor {
  const { id, username, is_service_account } = principal.user;
  return { id, username, kind: principal.operator ? 'cli' : is_service_account ? 'service_account' : 'user' };
}

/**
 * An event of what `principal` did (null: no caller, the service itself did
 * it) to `target`, in `organizationId`: every service builds its events here.
 */
export function eventBy(
  principal: Principal | null,
  type: EventType,
  target: EventTarget,
  organizationId: string | null,
  changes: Changes = {},
): EventDraft {
  return {
    type,
    actor: principal ? actorOf(principal) : null,
    target,
    organization_id: organizationId,
    changes,
    request: principal?.request ?? null,
  };
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
    request: null,
    operator: true,
  };
}

/** The caller's organizations: its memberships and, for a service account, its own organization. */
export interface Affiliations {
  roles: ReadonlyMap<string, Role>;
  organizationIds: readonly string[];
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

/**
 * Audit events (API.md 7): superusers see every event; organization admins the
 * events of their organizations; every other caller those whose actor or
 * target it is.
 */
export function eventScope(principal: Principal, aff: Affiliations): EventScope {
  if (isSuperuser(principal)) return { kind: 'all' };
  const administered = [...aff.roles].filter(([, role]) => role === 'admin').map(([id]) => id);
  return { kind: 'visible-to', userId: principal.user.id, adminOrganizationIds: administered };
}

/** Webhooks (API.md 8): superusers only. */
export function canManageWebhooks(p: Principal): boolean {
  return isSuperuser(p);
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
  workspace: WorkspaceRef,
  workspaceRole: Role | undefined,
): boolean {
  return isSuperuser(p) || aff.roles.get(workspace.organization_id) === 'admin' || workspaceRole === 'admin';
}

// ---- loading, checking, throwing ----

/** What a caller needs of an organization: to read it, to administer it, to create workspaces in it. */
export type OrganizationNeed = 'read' | 'administer' | 'create-workspace';

export interface AccessOptions {
  /** The caller's transaction: reads see its writes and locks. */
  tx?: Tx;
  /** Lock the organization first (see `AccessRepository.lockOrganization`). */
  lock?: boolean;
}

/**
 * Loads, checks, throws (API.md 4 and 5): the one place services ask "may
 * this caller see or change that?". An organization or workspace the caller
 * may not read answers 404 exactly as one that does not exist; one it may
 * read but not change answers 403.
 */
export class AccessService {
  /**
   * Affiliations read outside transactions, once per request: the
   * authentication hook makes a new `Principal` for every request.
   */
  private readonly cached = new WeakMap<Principal, Promise<Affiliations>>();

  constructor(private readonly unit: Transactor<{ access: AccessRepository }>) {}

  /**
   * The caller's organizations. Superusers see and may do everything, so theirs
   * are not loaded. Inside a transaction they are read afresh (after its locks).
   */
  affiliations(principal: Principal, tx?: Tx): Promise<Affiliations> {
    if (principal.user.is_superuser) return Promise.resolve(affiliations(principal, []));
    if (tx) return this.load(principal, tx);
    let found = this.cached.get(principal);
    if (!found) {
      found = this.load(principal, undefined);
      this.cached.set(principal, found);
      found.catch(() => this.cached.delete(principal));
    }
    return found;
  }

  /** The accounts the caller may see, with the affiliations that decided it. */
  async userScope(principal: Principal, tx?: Tx): Promise<{ scope: UserScope; aff: Affiliations }> {
    const aff = await this.affiliations(principal, tx);
    return { scope: userScope(principal, aff), aff };
  }

  /**
   * The id of the organization a path names (API.md 1.2): a UUID as it is, or
   * the name of an organization the caller may read; 404 when none it may read has it.
   */
  async organizationIdOf(principal: Principal, ref: string): Promise<string> {
    if (isUuid(ref)) return ref.toLowerCase();
    // Affiliations are loaded either way, so that an unknown name and an invisible one cost the same.
    const [found, aff] = await Promise.all([
      this.unit.repos.access.organizationByName(ref),
      this.affiliations(principal),
    ]);
    if (!found || !canReadOrganization(principal, aff, found.id)) {
      throw new KeyError(`organization ${ref} not found`);
    }
    return found.id;
  }

  /** The organization if the caller has `need` of it: 404 when it may not read it, 403 when it may only read it. */
  async organization(
    principal: Principal,
    organizationId: string,
    need: OrganizationNeed,
    options: AccessOptions = {},
  ): Promise<{ organization: OrganizationRef; aff: Affiliations }> {
    const repos = this.unit.on(options.tx);
    if (options.lock) await repos.access.lockOrganization(organizationId);
    const aff = await this.affiliations(principal, options.tx);
    const organization = canReadOrganization(principal, aff, organizationId)
      ? await repos.access.organization(organizationId)
      : undefined;
    if (!organization) throw new KeyError(`organization ${organizationId} not found`);
    if (need === 'administer' && !canAdministerOrganization(principal, aff, organizationId)) {
      throw new IllegalOperationError(`only admins of organization ${organization.name} may do this`);
    }
    if (need === 'create-workspace' && !canCreateWorkspace(principal, aff, organizationId)) {
      throw new IllegalOperationError(
        `only admins and editors of organization ${organization.name} may create workspaces`,
      );
    }
    return { organization, aff };
  }

  /**
   * The workspace if the caller may read (its organization) or administer it;
   * `role` is the caller's own role in it. With `lock`, the organization's row
   * is locked first, so membership checks see every committed change to its
   * members.
   */
  async workspace(
    principal: Principal,
    workspaceId: string,
    need: 'read' | 'administer',
    options: AccessOptions = {},
  ): Promise<{ workspace: WorkspaceRef; aff: Affiliations; role: Role | undefined }> {
    const repos = this.unit.on(options.tx);
    if (options.lock) {
      const unlocked = await repos.access.workspace(workspaceId);
      if (unlocked) await repos.access.lockOrganization(unlocked.organization_id);
    }
    const aff = await this.affiliations(principal, options.tx);
    const found = await repos.access.workspace(workspaceId);
    const workspace = found && canReadOrganization(principal, aff, found.organization_id) ? found : undefined;
    if (!workspace) throw new KeyError(`workspace ${workspaceId} not found`);
    const role = await repos.access.workspaceRoleOf(workspaceId, principal.user.id);
    if (need === 'administer' && !canAdministerWorkspace(principal, aff, workspace, role)) {
      throw new IllegalOperationError(`only admins may change workspace ${workspace.name}`);
    }
    return { workspace, aff, role };
  }

  /** An account's role in a workspace, if it is a member. */
  workspaceRoleOf(workspaceId: string, userId: string, tx?: Tx): Promise<Role | undefined> {
    return this.unit.on(tx).access.workspaceRoleOf(workspaceId, userId);
  }

  /** Locks an organization's row until `tx` ends (see `AccessRepository.lockOrganization`). */
  async lockOrganization(organizationId: string, tx: Tx): Promise<void> {
    await this.unit.on(tx).access.lockOrganization(organizationId);
  }

  /** An account's role in an organization, if it is a member. */
  roleIn(organizationId: string, userId: string, tx?: Tx): Promise<Role | undefined> {
    return this.unit.on(tx).access.organizationRoleOf(organizationId, userId);
  }

  /**
   * Locks every organization `userId` belongs to, in id order (the order
   * every membership change takes, each starting with its organization's
   * lock): deleting an account then queues behind, or ahead of, any change
   * to its memberships instead of deadlocking with one.
   */
  async lockOrganizationsOf(userId: string, tx: Tx): Promise<void> {
    const repos = this.unit.on(tx);
    const ids = (await repos.access.membershipsOf(userId)).map((m) => m.organization_id).sort();
    for (const id of ids) await repos.access.lockOrganization(id);
  }

  /** The organizations where `userId` is the only admin (it cannot leave or be deleted). */
  soleAdminOf(userId: string, tx?: Tx): Promise<OrganizationRef[]> {
    return this.unit.on(tx).access.soleAdminOf(userId);
  }

  /** Throws the contract's 403 with `message` unless `allowed`. */
  require(allowed: boolean, message: string): void {
    if (!allowed) throw new IllegalOperationError(message);
  }

  private async load(principal: Principal, tx: Tx | undefined): Promise<Affiliations> {
    return affiliations(principal, await this.unit.on(tx).access.membershipsOf(principal.user.id));
  }
}
