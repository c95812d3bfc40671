/**
 * The signed-in session: the access token (kept in this tab's session
 * storage, so a reload keeps it and closing the tab ends it), the typed
 * client that sends it, and the account it belongs to.
 */
import { ok, RosterClient, type UserRead } from '@roster/client';
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

const listeners = new Set<() => void>();

/** A client that forgets its token once the API refuses it (expired, revoked, the account deactivated). */
function clientWith(token: string | undefined): RosterClient {
  const created = new RosterClient({ baseUrl: apiRoot(), ...(token === undefined ? {} : { token }) });
  if (token !== undefined) {
    created.api.use({
      onResponse: ({ response }) => {
        if (response.status === 401 && client === created) queueMicrotask(forget);
        return response;
      },
    });
  }
  return created;
}

let client = clientWith(sessionStorage.getItem(TOKEN_KEY) ?? undefined);

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
  client = clientWith(token);
  changed();
}

export async function signIn(username: string, password: string): Promise<void> {
  const token = await clientWith(undefined).login(username, password);
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
  client = clientWith(undefined);
  changed();
}

let me: Promise<UserRead> | undefined;
const roles = new Map<string, Promise<Role | undefined>>();

/** The signed-in account (asked once per session). */
export function currentAccount(): Promise<UserRead> {
  me ??= ok(client.api.GET('/api/v1/users/me')).catch((error: unknown) => {
    me = undefined;
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

const SSO_NONCE_KEY = 'roster.sso-nonce';

/**
 * Where the single sign-on button goes: a fresh nonce, kept in this tab, travels with the login
 * and comes back with the token, so that a token planted in a link is never taken.
 */
export function ssoLoginUrl(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  const nonce = btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  sessionStorage.setItem(SSO_NONCE_KEY, nonce);
  return `${apiRoot()}/api/v1/auth/sso/login?console=${nonce}`;
}

/**
 * What single sign-on sent back in the address fragment, if this tab started it: the token is
 * used, an error returned to be shown. The fragment is removed from the address either way.
 */
export function takeSsoResult(): { error?: string } {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (!fragment.has('access_token') && !fragment.has('sso_error')) return {};
  history.replaceState(null, '', location.pathname + location.search);
  const expected = sessionStorage.getItem(SSO_NONCE_KEY);
  sessionStorage.removeItem(SSO_NONCE_KEY);
  if (expected === null || fragment.get('nonce') !== expected) return {};
  const token = fragment.get('access_token');
  if (token) useToken(token);
  return { error: fragment.get('sso_error') ?? undefined };
}
