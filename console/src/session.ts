/**
 * The signed-in session: the access token (kept in this tab's session
 * storage, so a reload keeps it and closing the tab ends it), the typed
 * client that sends it, and the account it belongs to.
 */
import { ok, RosterClient, RosterError, type UserRead } from '@roster/client';
import type { Role } from './logic/permissions.js';

const TOKEN_KEY = 'roster.token';

/** Where the API is: the console is served at `<root>/admin`, the API at `<root>/api/v1`. */
export function apiRoot(): string {
  const at = location.pathname.indexOf('/admin');
  return `${location.origin}${at > 0 ? location.pathname.slice(0, at) : ''}`;
}

/** The console's own address of a page: `/admin/users`, ... */
export function adminPath(path: string): string {
  const at = location.pathname.indexOf('/admin');
  return `${at > 0 ? location.pathname.slice(0, at) : ''}/admin${path}`;
}

let client = new RosterClient({ baseUrl: apiRoot(), token: sessionStorage.getItem(TOKEN_KEY) ?? undefined });
const listeners = new Set<() => void>();

export function api(): RosterClient {
  return client;
}

export function signedIn(): boolean {
  return client.accessToken !== undefined;
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed(): void {
  me = undefined;
  roles.clear();
  for (const listener of listeners) listener();
}

export function useToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
  client = new RosterClient({ baseUrl: apiRoot(), token });
  changed();
}

export async function signIn(username: string, password: string): Promise<void> {
  const fresh = new RosterClient({ baseUrl: apiRoot() });
  const token = await fresh.login(username, password);
  useToken(token.access_token);
}

/** Ends the session: the token is revoked at the server, then forgotten here. */
export async function signOut(): Promise<void> {
  try {
    if (signedIn()) await client.logout();
  } catch {
    // An expired token cannot be revoked: forgetting it is all there is to do.
  }
  forget();
}

/** Forgets the token (it was refused: expired, revoked, or the account deactivated). */
export function forget(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  client = new RosterClient({ baseUrl: apiRoot() });
  changed();
}

let me: Promise<UserRead> | undefined;
const roles = new Map<string, Promise<Role | undefined>>();

/** The signed-in account (asked once per session). */
export function currentAccount(): Promise<UserRead> {
  me ??= ok(client.api.GET('/api/v1/users/me')).catch((error: unknown) => {
    me = undefined;
    if (error instanceof RosterError && error.status === 401) forget();
    throw error;
  });
  return me;
}

/** The signed-in account's role in an organization (none when it is not a member or cannot see it). */
export function roleIn(organizationId: string): Promise<Role | undefined> {
  let role = roles.get(organizationId);
  if (!role) {
    role = (async () => {
      const account = await currentAccount();
      const { data } = await client.api.GET('/api/v1/organizations/{organization_id}/members', {
        params: { path: { organization_id: organizationId } },
      });
      return data?.find((member) => member.user.id === account.id)?.role;
    })();
    roles.set(organizationId, role);
  }
  return role;
}

/** Forgets cached roles (after a membership change). */
export function rolesChanged(): void {
  roles.clear();
}
