import { newId } from '../../domain/ids.js';
import type { Clock } from '../../clock.js';
import { UniqueViolation } from '../../db/errors.js';
import {
  AuthorizationException,
  EntityExistsError,
  IllegalOperationError,
  KeyError,
  PreconditionFailed,
  TooManyRequests,
  ValueError,
} from '../../domain/errors.js';
import * as access from '../../auth/access.js';
import { eventBy, type AccessService, type Affiliations, type Principal } from '../../auth/access.js';
import { hashPassword, verifyPassword } from '../../auth/passwords.js';
import type { Transactor, Tx } from '../../db/transactions.js';
import { changesOf, type EventDraft, type RequestContext, SYSTEM_ACTOR } from '../../domain/events.js';
import { unstorableText } from '../../domain/text.js';
import type { EventsService } from '../events/events.service.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import type { SettingsService } from '../settings/settings.service.js';
import type { LoginThrottle } from '../throttle/login-throttle.js';
import type {
  AccountDependents,
  Page,
  PublicUserRecord,
  UserFilters,
  UserRecord,
  UsersRepository,
  UserValues,
} from './users.repository.js';
import type { DeletionPlan, ServiceAccountCreate, UserCreate, UserUpdate } from './users.schemas.js';

/** What single sign-on learnt about a person from the ID token and userinfo. */
export interface OauthIdentity {
  provider: string;
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  picture?: string;
}

export interface ListOptions {
  filters: UserFilters;
  page: Page;
  includeTotal: boolean;
}

/** How many times an update without If-Match retries when a concurrent write wins the race. */
const UPDATE_ATTEMPTS = 5;

/** The rules of the Users API (API.md section 4). */
export class UsersService {
  constructor(
    private readonly unit: Transactor<{ users: UsersRepository }>,
    private readonly clock: Clock,
    private readonly access: AccessService,
    private readonly sessions: SessionsService,
    private readonly settings: SettingsService,
    private readonly throttle: LoginThrottle,
    private readonly events: EventsService,
  ) {}

  /** Keeps the account count compact (the pruner calls it now and then). */
  foldCount(): Promise<void> {
    return this.unit.repos.users.foldCount();
  }

  /** A page of the accounts the caller may see, and their total when asked for. */
  async list(principal: Principal, options: ListOptions): Promise<{ users: PublicUserRecord[]; total?: number }> {
    const { scope } = await this.access.userScope(principal);
    const users = await this.unit.repos.users.list(scope, options.filters, options.page);
    if (!options.includeTotal) return { users };
    return { users, total: await this.unit.repos.users.count(scope, options.filters) };
  }

  async get(principal: Principal, userId: string): Promise<UserRecord> {
    return this.visible(principal, userId);
  }

  /**
   * An account the caller may see; 404 otherwise, exactly as for one that does
   * not exist. With `lock` (inside `tx`), its row stays locked until commit: a
   * concurrent delete of it waits, or has already happened.
   */
  async visible(principal: Principal, userId: string, options: { tx?: Tx; lock?: boolean } = {}): Promise<UserRecord> {
    return (await this.visibleWith(principal, userId, options)).user;
  }

  /** `visible`, with the caller's affiliations that decided it (for the caller's next check). */
  async visibleWith(
    principal: Principal,
    userId: string,
    options: { tx?: Tx; lock?: boolean } = {},
  ): Promise<{ user: UserRecord; aff: Affiliations }> {
    const { scope, aff } = await this.access.userScope(principal, options.tx);
    const { users } = this.unit.on(options.tx);
    const user = options.lock ? await users.findByIdForUpdate(userId, scope) : await users.findById(userId, scope);
    if (!user) throw new KeyError(`user ${userId} not found`);
    return { user, aff };
  }

  /** The account with this id, whoever asks (the caller's own record, freshly read). */
  async byId(userId: string, tx?: Tx): Promise<UserRecord> {
    const user = await this.unit.on(tx).users.findById(userId);
    if (!user) throw new KeyError(`user ${userId} not found`);
    return user;
  }

  /** The account a login names (its username or verified email), for the password check. */
  findByLogin(identifier: string): Promise<UserRecord | undefined> {
    return this.unit.repos.users.findByLogin(identifier);
  }

  async create(principal: Principal, input: UserCreate): Promise<UserRecord> {
    if (!access.canCreateUsers(principal)) throw new IllegalOperationError('only superusers may create users');
    assertUsernameIsOwnEmail(input.username, input.email ?? null, true);
    const passwordHash = await hashPassword(input.password);
    return this.unit.run(async ({ users }, tx) => {
      await assertLoginNamesFree(users, [input.username, input.email ?? undefined]);
      try {
        const created = await users.insert(
          newId(),
          {
            username: input.username,
            email: input.email ?? null,
            // Set by a superuser: verified (API.md 3.2).
            email_verified: input.email != null,
            name: input.name ?? null,
            avatar_url: input.avatar_url ?? null,
            company: input.company ?? null,
            job_title: input.job_title ?? null,
            metadata: input.metadata ?? {},
            is_superuser: input.is_superuser ?? false,
            password_hash: passwordHash,
          },
          this.now(),
        );
        this.events.record(tx, userEvent('user.created', principal, null, created));
        return created;
      } catch (error) {
        throw asEntityExists(error, input) ?? error;
      }
    });
  }

  /**
   * Applies `input` all or nothing. Refusals are 403 when the caller may not
   * do it or the user does not exist (no existence leak through PATCH).
   * `ifMatch` lists the versions the caller based its change on (from `If-Match`).
   */
  async update(
    principal: Principal,
    userId: string,
    input: UserUpdate,
    ifMatch?: readonly number[],
  ): Promise<UserRecord> {
    if (input.password !== undefined) {
      // Permission checks first, on the account as it stands: a caller that may not change
      // the password never makes the service hash one (API.md 3.3). The transaction below
      // checks again on the locked row.
      const { scope, aff } = await this.access.userScope(principal);
      const current = await this.unit.repos.users.findById(userId, scope);
      if (!current) throw new IllegalOperationError(`you may not update user ${userId}`);
      this.checkUpdate(principal, aff, current, input);
    }
    // Slow password work happens before the transaction, which holds locks.
    const confirmedHash = await this.confirmCurrentPassword(principal, userId, input);
    const passwordHash = input.password !== undefined ? await hashPassword(input.password) : undefined;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.unit.run(async ({ users }, tx) => {
        const { scope, aff } = await this.access.userScope(principal, tx);
        const target = await users.findByIdForUpdate(userId, scope);
        if (!target) throw new IllegalOperationError(`you may not update user ${userId}`);
        if (ifMatch !== undefined && !ifMatch.includes(target.version)) {
          throw new PreconditionFailed(`user ${userId} is not at the version named by If-Match`);
        }
        const values = this.checkUpdate(principal, aff, target, input);
        if (confirmedHash !== undefined && confirmedHash !== target.password_hash) {
          throw new IllegalOperationError('the password changed meanwhile; send the current one');
        }
        if (Object.keys(values).length === 0 && passwordHash === undefined) return target;
        if (values.username !== undefined) await assertLoginNamesFree(users, [values.username], target.id);
        if (values.email) await assertLoginNamesFree(users, [values.email], target.id);
        if (passwordHash !== undefined) values.password_hash = passwordHash;
        const revokes = passwordHash !== undefined || values.is_active === false;
        const written = await this.write(users, target, values, input, revokes);
        if (!written) return undefined;
        const changed = userEvent(
          passwordHash !== undefined ? 'user.password_changed' : 'user.updated',
          principal,
          target,
          written,
        );
        if (passwordHash !== undefined)
          changed.changes = { ...changed.changes, password: ['[redacted]', '[redacted]'] };
        // Re-sending values as they are changes nothing, and records nothing.
        if (Object.keys(changed.changes ?? {}).length > 0) this.events.record(tx, changed);
        if (revokes) {
          // Every session of the account dies with the credential version, except the one
          // that changed its own password.
          const keep = passwordHash !== undefined && principal.user.id === target.id ? principal.sessionId : null;
          await this.sessions.revokeAll(
            target.id,
            tx,
            keep === null ? undefined : { sessionId: keep, credentialVersion: written.credential_version },
          );
        }
        return written;
      });
      if (outcome) return outcome;
      if (ifMatch !== undefined || attempt >= UPDATE_ATTEMPTS) {
        throw new PreconditionFailed(`user ${userId} was changed by another request; retry`);
      }
    }
  }

  /**
   * Deletes an account; its organization and workspace memberships, API keys
   * and sessions go with it in the same statement (foreign keys cascade, and
   * the deletion plan lists them). Resources it created stay.
   */
  async delete(principal: Principal, userId: string): Promise<void> {
    await this.unit.run(async ({ users }, tx) => {
      // Lock the account's organizations before its own row (the order membership changes
      // use): the last-admin check below cannot be raced, and the cascade of its memberships
      // never meets a concurrent removal of one of them halfway.
      await this.access.lockOrganizationsOf(userId, tx);
      const target = await this.deletable(users, tx, principal, userId, true);
      if (target.is_internal) throw new ValueError('internal user cannot be deleted');
      const soleAdmin = await this.access.soleAdminOf(target.id, tx);
      if (soleAdmin.length > 0) {
        throw new IllegalOperationError(
          `user ${target.username} is the last admin of ${soleAdmin.map((o) => `organization ${o.name}`).join(', ')}; ` +
            'hand the organization over or delete it first',
        );
      }
      // What cascades with the account is recorded too: its organizations' admins see it leave.
      const dependents = await users.dependentsOf(target.id);
      await users.delete(target.id);
      this.events.record(tx, userEvent('user.deleted', principal, target, null));
      for (const draft of cascadeEvents(principal, target, dependents)) this.events.record(tx, draft);
    });
  }

  /** The plan of `delete`: same permission checks, nothing changed. */
  async planDeletion(principal: Principal, userId: string): Promise<DeletionPlan> {
    const { users } = this.unit.repos;
    const target = await this.deletable(users, undefined, principal, userId, false);
    const [dependents, sessions, soleAdmin] = await Promise.all([
      users.dependentsOf(target.id),
      this.sessions.countLive(target.id),
      this.access.soleAdminOf(target.id),
    ]);
    const blockers: DeletionPlan['blockers'] = [];
    if (target.is_internal) {
      blockers.push({ reason: 'internal_account', message: 'internal user cannot be deleted', organization_id: null });
    }
    for (const org of soleAdmin) {
      blockers.push({
        reason: 'last_admin',
        message: `last admin of organization ${org.name}: hand it over or delete it first`,
        organization_id: org.id,
      });
    }
    return {
      user_id: target.id,
      allowed: blockers.length === 0,
      blockers,
      organization_memberships: dependents.organizations,
      workspace_memberships: dependents.workspaces,
      api_keys: dependents.apiKeys,
      active_sessions: sessions,
    };
  }

  /** The account `principal` may delete: 403 for anyone without the right, 404 for a superuser's miss. */
  private async deletable(
    users: UsersRepository,
    tx: Tx | undefined,
    principal: Principal,
    userId: string,
    lock: boolean,
  ) {
    const { scope, aff } = await this.access.userScope(principal, tx);
    const target = lock ? await users.findByIdForUpdate(userId, scope) : await users.findById(userId, scope);
    if (!access.canDelete(principal, aff, target)) throw new IllegalOperationError(`you may not delete user ${userId}`);
    if (!target) throw new KeyError(`user ${userId} not found`);
    return target;
  }

  /**
   * Finds the account of an OAuth2 identity, or creates it (API.md 3.2):
   * username = email (verified emails only), name, avatar from the claims;
   * the first such account becomes a superuser while no superuser but the
   * internal one exists. An email already used by another account is a 409:
   * accounts are never linked silently.
   */
  async signInOauth(identity: OauthIdentity, context: RequestContext | null = null): Promise<UserRecord> {
    const existing = await this.unit.repos.users.findByOauth(identity.provider, identity.sub);
    if (existing) return existing; // later logins change nothing in the profile
    const email = identity.email;
    if (!email || identity.email_verified !== true) {
      throw new AuthorizationException('single sign-on needs an email address the provider has verified');
    }
    if (email.length > 320 || unstorableText(email) || identity.sub.length > 255 || unstorableText(identity.sub)) {
      throw new AuthorizationException('the provider sent an email address or subject Roster cannot store');
    }
    try {
      return await this.unit.run(async ({ users }, tx) => {
        await users.lockInternal();
        const raced = await users.findByOauth(identity.provider, identity.sub);
        if (raced) return raced;
        const holder = await users.findHolderOfLoginName(email);
        if (holder) {
          // An email a local account set on itself reserves nothing against the provider's
          // verified claim: it is taken away from that account (API.md 3.2).
          const unverifiedClaim =
            holder.email?.toLowerCase() === email.toLowerCase() &&
            !holder.email_verified &&
            holder.username.toLowerCase() !== email.toLowerCase();
          if (!unverifiedClaim) {
            throw new EntityExistsError(
              `${email} is already used by another account; accounts are never linked automatically`,
            );
          }
          const cleared = await users.update(
            holder.id,
            holder.version,
            { email: null, email_verified: false },
            this.now(),
          );
          if (!cleared) throw new EntityExistsError(`${email} was changed meanwhile; try again`);
          this.events.record(tx, {
            ...userEvent('user.updated', null, holder, cleared),
            actor: SYSTEM_ACTOR,
            request: context,
          });
        }
        // Only the first account ever created through SSO may become a superuser (and only
        // while no superuser but the internal one exists): a marker records that it happened.
        const id = newId();
        const firstSsoAccount = (await this.settings.getOrInsert('first_sso_account', id, tx)) === id;
        const firstSuperuser = firstSsoAccount && !(await users.anyOtherSuperuser());
        const provisioned = await users.insert(
          id,
          {
            username: email,
            email,
            email_verified: true,
            // Cut by code points, so that a surrogate pair is never split.
            name: identity.name && !unstorableText(identity.name) ? [...identity.name].slice(0, 255).join('') : null,
            avatar_url:
              identity.picture &&
              /^https?:\/\/[^/?#\s]+/i.test(identity.picture) &&
              identity.picture.length <= 2048 &&
              !unstorableText(identity.picture)
                ? identity.picture
                : null,
            oauth_provider: identity.provider,
            oauth_id: identity.sub,
            is_superuser: firstSuperuser,
          },
          this.now(),
        );
        const actor = { id: provisioned.id, username: provisioned.username, kind: 'user' as const };
        this.events.record(tx, {
          ...userEvent('user.sso_provisioned', null, null, provisioned),
          actor,
          request: context,
        });
        return provisioned;
      });
    } catch (error) {
      if (error instanceof UniqueViolation) {
        const winner = await this.unit.repos.users.findByOauth(identity.provider, identity.sub);
        if (winner) return winner;
        throw new EntityExistsError(
          `${email} is already used by another account; accounts are never linked automatically`,
        );
      }
      throw error;
    }
  }

  /** Clears an account's failed-login counters, so that it may log in at once (API.md 3.3). */
  async clearLoginFailures(principal: Principal, userId: string): Promise<void> {
    if (!access.canClearLoginFailures(principal)) {
      throw new IllegalOperationError('only superusers may clear failed logins');
    }
    const target = await this.byId(userId);
    await this.throttle.forgetNames([target.username, ...(target.email ? [target.email] : [])]);
    await this.events.recordNow(
      eventBy(principal, 'user.login_failures_cleared', { type: 'user', id: target.id }, target.organization_id),
    );
  }

  /**
   * Recovery of the internal account (`roster admin reset-password`): a new
   * password, its sessions revoked, its failed logins forgotten (a forgotten
   * password often comes with a lockout). Superusers only.
   */
  async resetInternalPassword(principal: Principal, password: string): Promise<UserRecord> {
    const internal = await this.unit.repos.users.findInternal();
    if (!internal) throw new KeyError('there is no internal account yet: start Roster once to create it');
    const updated = await this.update(principal, internal.id, { password });
    await this.clearLoginFailures(principal, internal.id);
    return updated;
  }

  /**
   * Creates a service account inside an organization, in the caller's
   * transaction (the organizations' service checks the caller's right).
   */
  async createServiceAccount(
    principal: Principal,
    tx: Tx,
    organizationId: string,
    input: ServiceAccountCreate,
  ): Promise<UserRecord> {
    const { users } = this.unit.on(tx);
    assertUsernameIsOwnEmail(input.username, null, false);
    await assertLoginNamesFree(users, [input.username]);
    try {
      const created = await users.insert(
        newId(),
        {
          username: input.username,
          name: input.name ?? null,
          avatar_url: input.avatar_url ?? null,
          metadata: input.metadata ?? {},
          is_service_account: true,
          organization_id: organizationId,
        },
        this.now(),
      );
      this.events.record(tx, userEvent('user.created', principal, null, created));
      return created;
    } catch (error) {
      throw asEntityExists(error, input) ?? error;
    }
  }

  /** Deletes an organization's service accounts with their keys and sessions, in the caller's transaction. */
  async deleteServiceAccountsOf(principal: Principal, organizationId: string, tx: Tx): Promise<void> {
    const { users } = this.unit.on(tx);
    for (const account of await users.serviceAccountsOf(organizationId)) {
      this.events.record(tx, userEvent('user.deleted', principal, account, null));
    }
    await users.deleteServiceAccountsOf(organizationId);
  }

  /**
   * Changing one's own password needs the current one. Checked before the
   * transaction and rate limited like a login; answers the hash it matched.
   */
  private async confirmCurrentPassword(principal: Principal, userId: string, input: UserUpdate) {
    if (
      input.password === undefined ||
      principal.user.id !== userId ||
      !access.mustConfirmPassword(principal, principal.user)
    ) {
      return undefined;
    }
    const target = principal.user;
    if (target.password_hash === null) return undefined; // no password to confirm: the field rules refuse it
    const attempt = { name: target.username, address: principal.address };
    const wait = await this.throttle.reserve(attempt);
    if (wait > 0) throw new TooManyRequests('too many wrong passwords; try again later', wait);
    const confirmed =
      input.current_password !== undefined && (await verifyPassword(target.password_hash, input.current_password));
    if (!confirmed) throw new IllegalOperationError('changing your own password needs your correct current_password');
    await this.throttle.succeeded(attempt);
    return target.password_hash;
  }

  /** Checks every field of `input` against 4.3; returns the columns to write. */
  private checkUpdate(principal: Principal, aff: Affiliations, target: UserRecord, input: UserUpdate): UserValues {
    const values: UserValues = {};
    const isOauth = target.oauth_provider !== null;
    const refuse = (message: string): never => {
      throw new IllegalOperationError(message);
    };

    const profile = ['name', 'avatar_url', 'company', 'job_title', 'metadata', 'username', 'email'] as const;
    if (profile.some((field) => input[field] !== undefined) && !access.canEditProfile(principal, aff, target)) {
      refuse(`you may not update user ${target.id}`);
    }
    for (const field of ['name', 'avatar_url', 'company', 'job_title', 'metadata'] as const) {
      if (input[field] !== undefined) (values as Record<string, unknown>)[field] = input[field];
    }
    if (input.username !== undefined && input.username !== target.username) {
      if (isOauth) refuse('the username of an OAuth2 account is its email address and cannot be changed');
      if (target.is_internal) refuse('the internal account cannot be renamed');
      values.username = input.username;
    }
    if (input.email !== undefined && input.email !== target.email) {
      if (isOauth) refuse('the email address of an OAuth2 account comes from its provider and cannot be changed');
      if (target.is_service_account && input.email !== null) throw new ValueError('service accounts have no email');
      values.email = input.email;
      // Emails set by a superuser are verified; one an account sets on itself is not (API.md 3.2).
      values.email_verified = input.email !== null && principal.user.is_superuser;
    }
    if (
      input.email_verified !== undefined &&
      input.email_verified !== (values.email_verified ?? target.email_verified)
    ) {
      // Only a superuser vouches for an email (or withdraws it), explicitly: re-sending the
      // email a client read (a PUT of the whole object) verifies nothing.
      if (!access.canVerifyEmail(principal)) refuse('only a superuser may set email_verified');
      if (isOauth) refuse('the email address of an OAuth2 account comes from its provider and is verified');
      if ((values.email !== undefined ? values.email : target.email) === null)
        throw new ValueError('there is no email to verify');
      values.email_verified = input.email_verified;
    }
    if (
      !isOauth &&
      (values.username !== undefined || values.email !== undefined || values.email_verified !== undefined)
    ) {
      assertUsernameIsOwnEmail(
        values.username ?? target.username,
        values.email !== undefined ? values.email : target.email,
        values.email_verified ?? target.email_verified,
      );
    }
    if (input.is_onboarded !== undefined) {
      if (!access.canSetOnboarded(principal, target))
        refuse('only the user itself or a superuser may set is_onboarded');
      values.is_onboarded = input.is_onboarded;
    }
    if (input.is_active !== undefined && input.is_active !== target.is_active) {
      if (!access.canSetActive(principal, aff, target)) {
        refuse(
          'only a superuser (or, for a service account, an admin of its organization) may activate or deactivate it',
        );
      }
      if (target.is_internal) refuse('the internal account cannot be deactivated');
      if (target.id === principal.user.id) refuse('you cannot activate or deactivate your own account');
      values.is_active = input.is_active;
    }
    if (input.is_superuser !== undefined && input.is_superuser !== target.is_superuser) {
      if (!access.canSetSuperuser(principal)) refuse('only a superuser may grant or revoke superuser');
      if (target.is_internal) refuse('the internal account is always a superuser');
      if (target.is_service_account) throw new ValueError('service accounts cannot be superusers');
      values.is_superuser = input.is_superuser;
    }
    if (input.current_password !== undefined && input.password === undefined) {
      throw new ValueError('current_password is only used together with password');
    }
    if (input.password !== undefined) {
      if (!access.canSetPassword(principal, target)) refuse(`you may not change the password of user ${target.id}`);
      if (target.is_service_account) throw new ValueError('service accounts authenticate with API keys, not passwords');
      if (isOauth) refuse('OAuth2 accounts sign in through their provider and have no password');
    }
    return values;
  }

  private async write(
    users: UsersRepository,
    target: UserRecord,
    values: UserValues,
    input: UserUpdate,
    revokes: boolean,
  ) {
    try {
      return await users.update(target.id, target.version, values, this.now(), { revokeCredentials: revokes });
    } catch (error) {
      throw asEntityExists(error, input) ?? error;
    }
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

/**
 * A username containing `@` must be the account's own verified email (API.md
 * 3.2): nobody can, by naming itself, catch logins meant for another person or
 * block that person's first single sign-on. 400 otherwise.
 */
function assertUsernameIsOwnEmail(username: string, email: string | null, emailVerified: boolean): void {
  if (!username.includes('@')) return;
  if (email === null || email.toLowerCase() !== username.toLowerCase() || !emailVerified) {
    throw new ValueError("a username containing '@' must be the account's own verified email address");
  }
}

/** 409 when a new username or email is already another account's username or email. */
async function assertLoginNamesFree(users: UsersRepository, names: (string | undefined)[], exceptId?: string) {
  for (const name of names) {
    if (name !== undefined && (await users.loginNameTaken(name, exceptId))) {
      throw new EntityExistsError(`${name} is already another account's username or email`);
    }
  }
}

/** Turns a unique violation on users into the contract's 409, naming the taken field. */
function asEntityExists(error: unknown, input: { username?: string; email?: string | null }) {
  if (!(error instanceof UniqueViolation)) return undefined;
  const violation = error;
  if (violation.target.includes('email')) return new EntityExistsError(`email ${input.email} is already taken`);
  if (violation.target.includes('username'))
    return new EntityExistsError(`username ${input.username} is already taken`);
  return new EntityExistsError('a unique value of this user is already taken');
}

/** The fields of an account whose changes events record (the password only as "[redacted]"). */
const EVENT_FIELDS = [
  'username',
  'email',
  'email_verified',
  'name',
  'avatar_url',
  'company',
  'job_title',
  'metadata',
  'is_active',
  'is_superuser',
  'is_service_account',
  'is_onboarded',
  'oauth_provider',
  'organization_id',
] as const;

/** An event about an account: its changed fields, its organization (service accounts). */
function userEvent(
  type: EventDraft['type'],
  principal: Principal | null,
  before: UserRecord | null,
  after: UserRecord | null,
): EventDraft {
  const { id, organization_id } = (after ?? before)!;
  return eventBy(principal, type, { type: 'user', id }, organization_id, changesOf(before, after, EVENT_FIELDS));
}

/** The events of what goes with a deleted account: its memberships and its API keys. */
function cascadeEvents(principal: Principal, account: UserRecord, dependents: AccountDependents): EventDraft[] {
  const userId = account.id;
  const member = { type: 'user' as const, id: userId };
  return [
    ...dependents.organizations.map((m) =>
      eventBy(principal, 'organization.member_removed', member, m.organization_id, { role: [m.role, null] }),
    ),
    ...dependents.workspaces.map((m) =>
      eventBy(principal, 'workspace.member_removed', member, m.organization_id, {
        workspace_id: [m.workspace_id, null],
        role: [m.role, null],
      }),
    ),
    ...dependents.apiKeys.map((k) =>
      eventBy(principal, 'api_key.deleted', { type: 'api_key', id: k.id }, account.organization_id, {
        name: [k.name, null],
        user_id: [userId, null],
      }),
    ),
  ];
}
