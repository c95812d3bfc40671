import { v7 as uuidv7 } from 'uuid';
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
import { unstorableText } from '../../domain/text.js';
import type { Affiliations, Principal } from '../../auth/access.js';
import { hashPassword, verifyPassword } from '../../auth/passwords.js';
import type { Repositories, Store } from '../../store.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { Page, PublicUserRecord, UserFilters, UserRecord, UserValues } from './users.repository.js';
import type { DeletionPlan, UserCreate, UserUpdate } from './users.schemas.js';
import type { ServiceAccountCreate } from '../organizations/organizations.schemas.js';

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
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly throttle: LoginThrottle,
  ) {}

  /** A page of the accounts the caller may see, and their total when asked for. */
  async list(principal: Principal, options: ListOptions): Promise<{ users: PublicUserRecord[]; total?: number }> {
    const scope = access.userScope(principal, await access.loadAffiliations(this.store.repos.organizations, principal));
    const users = await this.store.repos.users.list(scope, options.filters, options.page);
    if (!options.includeTotal) return { users };
    return { users, total: await this.store.repos.users.count(scope, options.filters) };
  }

  async get(principal: Principal, userId: string): Promise<UserRecord> {
    const scope = access.userScope(principal, await access.loadAffiliations(this.store.repos.organizations, principal));
    const user = await this.store.repos.users.findById(userId, scope);
    if (!user) throw new KeyError(`user ${userId} not found`);
    return user;
  }

  async create(principal: Principal, input: UserCreate): Promise<UserRecord> {
    if (!access.canCreateUsers(principal)) throw new IllegalOperationError('only superusers may create users');
    assertUsernameIsOwnEmail(input.username, input.email ?? null, true);
    const passwordHash = await hashPassword(input.password);
    return this.store.transaction(async (repos) => {
      await assertLoginNamesFree(repos, [input.username, input.email ?? undefined]);
      try {
        return await repos.users.insert(
          uuidv7(),
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
      const aff = await access.loadAffiliations(this.store.repos.organizations, principal);
      const current = await this.store.repos.users.findById(userId, access.userScope(principal, aff));
      if (!current) throw new IllegalOperationError(`you may not update user ${userId}`);
      this.checkUpdate(principal, aff, current, input);
    }
    // Slow password work happens before the transaction, which holds locks.
    const confirmedHash = await this.confirmCurrentPassword(principal, userId, input);
    const passwordHash = input.password !== undefined ? await hashPassword(input.password) : undefined;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.store.transaction(async (repos) => {
        const aff = await access.loadAffiliations(repos.organizations, principal);
        const target = await repos.users.findByIdForUpdate(userId, access.userScope(principal, aff));
        if (!target) throw new IllegalOperationError(`you may not update user ${userId}`);
        if (ifMatch !== undefined && !ifMatch.includes(target.version)) {
          throw new PreconditionFailed(`user ${userId} is not at the version named by If-Match`);
        }
        const values = this.checkUpdate(principal, aff, target, input);
        if (confirmedHash !== undefined && confirmedHash !== target.password_hash) {
          throw new IllegalOperationError('the password changed meanwhile; send the current one');
        }
        if (Object.keys(values).length === 0 && passwordHash === undefined) return target;
        if (values.username !== undefined) await assertLoginNamesFree(repos, [values.username], target.id);
        if (values.email) await assertLoginNamesFree(repos, [values.email], target.id);
        if (passwordHash !== undefined) values.password_hash = passwordHash;
        const revokes = passwordHash !== undefined || values.is_active === false;
        const written = await this.write(repos, target, values, input, revokes);
        if (!written) return undefined;
        if (revokes) {
          // Every session of the account dies with the credential version, except the one
          // that changed its own password.
          const keep = passwordHash !== undefined && principal.user.id === target.id ? principal.sessionId : null;
          await repos.sessions.deleteForUser(target.id, keep ?? undefined);
          if (keep !== null) await repos.sessions.rebind(keep, written.credential_version);
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
   * Deletes an account and, in the same transaction, its organization and
   * workspace memberships, API keys and sessions. Resources it created stay.
   */
  async delete(principal: Principal, userId: string): Promise<void> {
    await this.store.transaction(async (repos) => {
      // Lock the organizations the account administers before its own row (the order
      // membership changes use), so the last-admin check below cannot be raced.
      const administered = (await repos.organizations.membershipsOf(userId))
        .filter((m) => m.role === 'admin')
        .map((m) => m.organization_id)
        .sort();
      for (const organizationId of administered) await repos.organizations.lock(organizationId);
      const target = await this.deletable(repos, principal, userId, true);
      if (target.is_internal) throw new ValueError('internal user cannot be deleted');
      const soleAdmin = await repos.organizations.soleAdminOf(target.id);
      if (soleAdmin.length > 0) {
        throw new IllegalOperationError(
          `user ${target.username} is the last admin of ${soleAdmin.map((o) => `organization ${o.name}`).join(', ')}; ` +
            'hand the organization over or delete it first',
        );
      }
      await removeAccount(repos, target.id);
    });
  }

  /** The plan of `delete`: same permission checks, nothing changed. */
  async planDeletion(principal: Principal, userId: string): Promise<DeletionPlan> {
    const repos = this.store.repos;
    const target = await this.deletable(repos, principal, userId, false);
    const [organizations, workspaces, apiKeys, sessions, soleAdmin] = await Promise.all([
      repos.organizations.membershipsOf(target.id),
      repos.workspaces.membershipsOf(target.id),
      repos.apiKeys.listForUser(target.id),
      repos.sessions.countLiveForUser(target.id, this.now()),
      repos.organizations.soleAdminOf(target.id),
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
      organization_memberships: organizations,
      workspace_memberships: workspaces,
      api_keys: apiKeys.map((k) => ({ id: k.id, name: k.name })),
      active_sessions: sessions,
    };
  }

  /** The account `principal` may delete: 403 for anyone without the right, 404 for a superuser's miss. */
  private async deletable(repos: Repositories, principal: Principal, userId: string, lock: boolean) {
    const aff = await access.loadAffiliations(repos.organizations, principal);
    const scope = access.userScope(principal, aff);
    const target = lock
      ? await repos.users.findByIdForUpdate(userId, scope)
      : await repos.users.findById(userId, scope);
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
  async signInOauth(identity: OauthIdentity): Promise<UserRecord> {
    const existing = await this.store.repos.users.findByOauth(identity.provider, identity.sub);
    if (existing) return existing; // later logins change nothing in the profile
    const email = identity.email;
    if (!email || identity.email_verified !== true) {
      throw new AuthorizationException('single sign-on needs an email address the provider has verified');
    }
    if (email.length > 320 || unstorableText(email) || identity.sub.length > 255 || unstorableText(identity.sub)) {
      throw new AuthorizationException('the provider sent an email address or subject Roster cannot store');
    }
    try {
      return await this.store.transaction(async (repos) => {
        await repos.users.lockInternal();
        const raced = await repos.users.findByOauth(identity.provider, identity.sub);
        if (raced) return raced;
        const holder = await repos.users.findHolderOfLoginName(email);
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
          const cleared = await repos.users.update(
            holder.id,
            holder.version,
            { email: null, email_verified: false },
            this.now(),
          );
          if (!cleared) throw new EntityExistsError(`${email} was changed meanwhile; try again`);
        }
        // Only the first account ever created through SSO may become a superuser (and only
        // while no superuser but the internal one exists): a marker records that it happened.
        const id = uuidv7();
        const firstSsoAccount = (await repos.settings.getOrInsert('first_sso_account', id)) === id;
        const firstSuperuser = firstSsoAccount && !(await repos.users.anyOtherSuperuser());
        return repos.users.insert(
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
      });
    } catch (error) {
      if (error instanceof UniqueViolation) {
        const winner = await this.store.repos.users.findByOauth(identity.provider, identity.sub);
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
    const target = await this.store.repos.users.findById(userId);
    if (!target) throw new KeyError(`user ${userId} not found`);
    await this.throttle.forgetNames([target.username, ...(target.email ? [target.email] : [])]);
  }

  /**
   * Recovery of the internal account (`roster admin reset-password`): a new
   * password, its sessions revoked, its failed logins forgotten (a forgotten
   * password often comes with a lockout). Superusers only.
   */
  async resetInternalPassword(principal: Principal, password: string): Promise<UserRecord> {
    const internal = await this.store.repos.users.findInternal();
    if (!internal) throw new KeyError('there is no internal account yet: start Roster once to create it');
    const updated = await this.update(principal, internal.id, { password });
    await this.clearLoginFailures(principal, internal.id);
    return updated;
  }

  /** Creates a service account inside an organization (the caller's right is checked by the organization's service). */
  async createServiceAccount(
    repos: Repositories,
    organizationId: string,
    input: ServiceAccountCreate,
  ): Promise<UserRecord> {
    assertUsernameIsOwnEmail(input.username, null, false);
    await assertLoginNamesFree(repos, [input.username]);
    try {
      return await repos.users.insert(
        uuidv7(),
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
    } catch (error) {
      throw asEntityExists(error, input) ?? error;
    }
  }

  /** Checks every field of `input` against 4.3; returns the columns to write. */
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
    repos: Repositories,
    target: UserRecord,
    values: UserValues,
    input: UserUpdate,
    revokes: boolean,
  ) {
    try {
      return await repos.users.update(target.id, target.version, values, this.now(), { revokeCredentials: revokes });
    } catch (error) {
      throw asEntityExists(error, input) ?? error;
    }
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

/** Removes an account with everything that hangs on it; callers run this inside a transaction. */
export async function removeAccount(repos: Repositories, userId: string): Promise<void> {
  await repos.sessions.deleteForUser(userId);
  await repos.apiKeys.deleteForUser(userId);
  await repos.workspaces.deleteMembershipsOf(userId);
  await repos.organizations.deleteMembershipsOf(userId);
  await repos.users.delete(userId);
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
async function assertLoginNamesFree(repos: Repositories, names: (string | undefined)[], exceptId?: string) {
  for (const name of names) {
    if (name !== undefined && (await repos.users.loginNameTaken(name, exceptId))) {
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
