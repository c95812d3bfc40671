import { v7 as uuidv7 } from 'uuid';
import type { Clock } from '../../clock.js';
import { asUniqueViolation } from '../../db/dialect.js';
import {
  EntityExistsError,
  IllegalOperationError,
  KeyError,
  PreconditionFailed,
  ValueError,
} from '../../domain/errors.js';
import * as access from '../../auth/access.js';
import type { Principal } from '../../auth/access.js';
import { hashPassword, verifyPassword } from '../../auth/passwords.js';
import type { Repositories, Store } from '../../store.js';
import type { UserFilters, UserRecord, UserValues } from './users.repository.js';
import type { UserCreate, UserUpdate } from './users.schemas.js';

export interface ListOptions {
  filters: UserFilters;
  offset: number;
  limit: number;
}

/** How many times an update without If-Match retries when a concurrent write wins the race. */
const UPDATE_ATTEMPTS = 5;

/** The rules of the Users API (API.md section 4). */
export class UsersService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  list(principal: Principal, options: ListOptions): Promise<UserRecord[]> {
    return this.store.repos.users.list(access.userScope(principal), options.filters, options.offset, options.limit);
  }

  async get(principal: Principal, userId: string): Promise<UserRecord> {
    const user = await this.store.repos.users.findById(userId, access.userScope(principal));
    if (!user) throw new KeyError(`user ${userId} not found`);
    return user;
  }

  async create(principal: Principal, input: UserCreate): Promise<UserRecord> {
    if (!access.canCreateUsers(principal)) throw new IllegalOperationError('only superusers may create users');
    const passwordHash = await hashPassword(input.password);
    try {
      return await this.store.repos.users.insert(
        uuidv7(),
        {
          username: input.username,
          email: input.email ?? null,
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
    // Hash outside the transaction: it is slow and needs no lock.
    const passwordHash = input.password !== undefined ? await hashPassword(input.password) : undefined;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.store.transaction(async (repos) => {
        const target = await repos.users.findByIdForUpdate(userId, access.userScope(principal));
        if (!target) throw new IllegalOperationError(`you may not update user ${userId}`);
        if (ifMatch !== undefined && !ifMatch.includes(target.version)) {
          throw new PreconditionFailed(`user ${userId} is not at the version named by If-Match`);
        }
        const values = await this.checkUpdate(principal, target, input);
        if (Object.keys(values).length === 0 && passwordHash === undefined) return target;
        if (passwordHash !== undefined) values.password_hash = passwordHash;
        const written = await this.write(repos, target, values, input);
        if (!written) return undefined;
        if (passwordHash !== undefined) {
          const keep = principal.user.id === target.id ? principal.sessionId : undefined;
          await repos.sessions.deleteForUser(target.id, keep);
        }
        if (values.is_active === false) await repos.sessions.deleteForUser(target.id);
        return (await repos.users.findById(target.id))!;
      });
      if (outcome) return outcome;
      if (ifMatch !== undefined || attempt >= UPDATE_ATTEMPTS) {
        throw new PreconditionFailed(`user ${userId} was changed by another request; retry`);
      }
    }
  }

  /** Deletes an account and, in the same transaction, everything that hangs on it. */
  async delete(principal: Principal, userId: string): Promise<void> {
    await this.store.transaction(async (repos) => {
      const target = await repos.users.findByIdForUpdate(userId, access.userScope(principal));
      if (!access.canDelete(principal, target)) throw new IllegalOperationError(`you may not delete user ${userId}`);
      if (!target) throw new KeyError(`user ${userId} not found`);
      if (target.is_internal) throw new ValueError('internal user cannot be deleted');
      await repos.sessions.deleteForUser(target.id);
      await repos.users.delete(target.id);
    });
  }

  /** Checks every field of `input` against 4.3; returns the columns to write. */
  private async checkUpdate(principal: Principal, target: UserRecord, input: UserUpdate): Promise<UserValues> {
    const values: UserValues = {};
    const isOauth = target.oauth_provider !== null;
    const refuse = (message: string): never => {
      throw new IllegalOperationError(message);
    };

    const profile = ['name', 'avatar_url', 'company', 'job_title', 'metadata', 'username', 'email'] as const;
    if (profile.some((field) => input[field] !== undefined) && !access.canEditProfile(principal, target)) {
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
    }
    if (input.is_onboarded !== undefined) {
      if (!access.canSetOnboarded(principal, target)) refuse('only the user itself or a superuser may set is_onboarded');
      values.is_onboarded = input.is_onboarded;
    }
    if (input.is_active !== undefined && input.is_active !== target.is_active) {
      if (!access.canSetActive(principal, target)) refuse('only a superuser may activate or deactivate accounts');
      if (target.is_internal) refuse('the internal account cannot be deactivated');
      if (target.id === principal.user.id) refuse('you cannot activate or deactivate your own account');
      values.is_active = input.is_active;
    }
    if (input.is_superuser !== undefined && input.is_superuser !== target.is_superuser) {
      if (!access.canSetSuperuser(principal, target)) refuse('only a superuser may grant or revoke superuser');
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
      if (access.mustConfirmPassword(principal, target)) {
        const confirmed =
          input.current_password !== undefined &&
          target.password_hash !== null &&
          (await verifyPassword(target.password_hash, input.current_password));
        if (!confirmed) refuse('changing your own password needs your correct current_password');
      }
    }
    return values;
  }

  private async write(repos: Repositories, target: UserRecord, values: UserValues, input: UserUpdate) {
    try {
      return await repos.users.update(target.id, target.version, values, this.now());
    } catch (error) {
      throw asEntityExists(error, input) ?? error;
    }
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

/** Turns a unique violation on users into the contract's 409, naming the taken field. */
function asEntityExists(error: unknown, input: { username?: string; email?: string | null }) {
  const violation = asUniqueViolation(error);
  if (!violation) return undefined;
  if (violation.target.includes('email')) return new EntityExistsError(`email ${input.email} is already taken`);
  if (violation.target.includes('username')) return new EntityExistsError(`username ${input.username} is already taken`);
  return new EntityExistsError('a unique value of this user is already taken');
}
