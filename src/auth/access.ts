/**
 * Who may see and change which account: the visibility rule of API.md 4.1 and
 * the permission rules of 4.3-4.5, in one place. Services call these and
 * throw the contract's errors; routes never decide access themselves.
 */
import type { UserRecord, UserScope } from '../modules/users/users.repository.js';

/** The authenticated caller of a request. */
export interface Principal {
  user: UserRecord;
  /** The session the request's access token belongs to. */
  sessionId: string;
}

/** The accounts a caller may see: superusers all, others themselves (and, with organizations, more). */
export function userScope(principal: Principal): UserScope {
  return principal.user.is_superuser ? { kind: 'all' } : { kind: 'visible-to', userId: principal.user.id };
}

function isSelf(principal: Principal, target: UserRecord): boolean {
  return principal.user.id === target.id;
}

/** Profile fields, username and email (4.3): the user itself or a superuser. */
export function canEditProfile(principal: Principal, target: UserRecord): boolean {
  return isSelf(principal, target) || principal.user.is_superuser;
}

/** `is_onboarded` (4.3): the user itself or a superuser. */
export function canSetOnboarded(principal: Principal, target: UserRecord): boolean {
  return isSelf(principal, target) || principal.user.is_superuser;
}

/** `is_active` (4.3): a superuser (never on itself or the internal account; checked by the service). */
export function canSetActive(principal: Principal, _target: UserRecord): boolean {
  return principal.user.is_superuser;
}

/** `is_superuser` (4.3): a superuser. */
export function canSetSuperuser(principal: Principal, _target: UserRecord): boolean {
  return principal.user.is_superuser;
}

/** `password` (4.3): the user itself (with its current password) or a superuser. */
export function canSetPassword(principal: Principal, target: UserRecord): boolean {
  return isSelf(principal, target) || principal.user.is_superuser;
}

/** Whether a password change must prove the current password: always when changing one's own. */
export function mustConfirmPassword(principal: Principal, target: UserRecord): boolean {
  return isSelf(principal, target);
}

/** Deleting an account (4.4): a superuser or the user itself. */
export function canDelete(principal: Principal, target: UserRecord | undefined): boolean {
  return principal.user.is_superuser || (target !== undefined && isSelf(principal, target));
}

/** Creating local accounts (4.5): superusers only. */
export function canCreateUsers(principal: Principal): boolean {
  return principal.user.is_superuser;
}
