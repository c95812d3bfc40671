/**
 * Single sign-on against a real OpenID provider (`oidc-provider`) on a
 * loopback port: the whole browser flow is driven with HTTP requests.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, decodeJwt, importJWK, type JWTPayload } from 'jose';
import { startDevIdp, type DevIdp } from '../dev/idp.js';
import { ConfigError, loadConfig, type OidcConfig } from '../src/config.js';
import { OidcDiscoveryError, discoverOidc, type OidcClient } from '../src/modules/sso/oidc-client.js';
import {
  PASSWORD,
  bearer,
  createTestApp,
  createUser,
  createUserWithToken,
  detail,
  engines,
  login,
  type TestApp,
} from './helpers.js';

const PUBLIC_URL = 'http://roster.test';
const CALLBACK = `${PUBLIC_URL}/api/v1/auth/sso/callback`;

/** Plays a misbehaving provider: rewrites the ID token of the next token response. */
let tamper: ((payload: JWTPayload) => JWTPayload | 'bad-signature') | undefined;

function tamperingFetch(idp: () => DevIdp): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const response = await fetch(input, init);
    const url = String(input instanceof Request ? input.url : input);
    if (!tamper || !url.endsWith('/token')) return response;
    const change = tamper;
    tamper = undefined;
    const body = (await response.json()) as { id_token: string };
    const payload = change(decodeJwt(body.id_token));
    if (payload === 'bad-signature') {
      body.id_token = body.id_token.slice(0, -4) + (body.id_token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    } else {
      const key = await importJWK(idp().signingKey, 'RS256');
      body.id_token = await new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'dev-idp-1' }).sign(key);
    }
    return new Response(JSON.stringify(body), {
      status: response.status,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
}

/** A browser: a cookie jar and manual redirects. */
class Browser {
  readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, index).trim(), pair!.slice(index + 1).trim());
    }
  }

  /** Follows the provider's redirects and login/consent pages until it sends the browser back to Roster. */
  async throughProvider(start: string, account: string): Promise<string> {
    let url = start;
    let form: URLSearchParams | undefined;
    for (let step = 0; step < 20; step++) {
      const response = await fetch(url, {
        redirect: 'manual',
        method: form ? 'POST' : 'GET',
        headers: { cookie: this.header(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        ...(form ? { body: form.toString() } : {}),
      });
      this.remember(response);
      form = undefined;
      if (response.status >= 300 && response.status < 400) {
        const next = new URL(response.headers.get('location')!, url).href;
        if (next.startsWith(CALLBACK)) return next;
        url = next;
        continue;
      }
      const html = await response.text();
      assert.equal(response.status, 200, `provider page ${url}: ${html.slice(0, 300)}`);
      form = html.includes('name="login"')
        ? new URLSearchParams({ prompt: 'login', login: account, password: 'unused' })
        : new URLSearchParams({ prompt: 'consent' });
    }
    throw new Error('the provider never sent the browser back');
  }
}

for (const engine of engines()) {
  describe(`single sign-on [${engine}]`, () => {
    let idp: DevIdp;
    let oidc: OidcClient;
    let settings: OidcConfig;
    let t: TestApp;

    before(async () => {
      idp = await startDevIdp({
        clients: [
          { client_id: 'roster', client_secret: 'roster-secret', redirect_uris: [CALLBACK] },
          { client_id: 'other-app', client_secret: 'other-secret', redirect_uris: [CALLBACK] },
        ],
        accounts: {
          alice: {
            email: 'Alice@Example.com',
            email_verified: true,
            name: 'Alice Example',
            picture: 'https://example.com/alice.png',
          },
          bob: { email: 'bob@example.com', email_verified: true, name: 'Bob' },
          carol: { email: 'carol@example.com', email_verified: false, name: 'Carol' },
          dave: { email: 'taken@example.com', email_verified: true, name: 'Dave' },
          erin: { name: 'Erin without email' },
          frank: { email: 'frank@example.com', email_verified: true },
          grace: { email: 'grace@example.com', email_verified: true },
          heidi: { email: 'Heidi@example.com', email_verified: true, name: 'Heidi' },
          ivy: { email: 'ivy@example.com', email_verified: true },
        },
      });
      settings = {
        issuer: idp.issuer,
        clientId: 'roster',
        clientSecret: 'roster-secret',
        provider: 'dev-idp',
        publicUrl: PUBLIC_URL,
      };
      oidc = await discoverOidc(
        settings,
        tamperingFetch(() => idp),
      );
      t = await createTestApp(engine, {}, { oidc });
    });
    after(async () => {
      await t.close();
      await idp.close();
    });

    /** Starts a login at Roster and walks the provider's pages; answers the callback request to make. */
    async function signIn(account: string, app: TestApp = t, query = '') {
      const browser = new Browser();
      const start = await app.app.inject({ method: 'GET', url: `/api/v1/auth/sso/login${query}` });
      assert.equal(start.statusCode, 302);
      const location = start.headers.location as string;
      const setCookie = ([] as string[]).concat(start.headers['set-cookie'] as string | string[]);
      const stateCookie = setCookie.find((c) => c.startsWith('roster_sso_state='))!;
      assert.match(stateCookie, /HttpOnly/i);
      assert.match(stateCookie, /SameSite=Lax/i);
      const callbackUrl = await browser.throughProvider(location, account);
      const url = new URL(callbackUrl);
      const cookies = setCookie
        .filter((c) => c.startsWith('roster_sso_') && !/Expires=Thu, 01 Jan 1970/i.test(c))
        .map((c) => c.split(';')[0]!)
        .join('; ');
      return {
        location: new URL(location),
        cookie: stateCookie.split(';')[0]!,
        cookies,
        path: url.pathname + url.search,
        callback: (overrides: { path?: string; cookie?: string } = {}) =>
          app.app.inject({
            method: 'GET',
            url: overrides.path ?? url.pathname + url.search,
            headers: { cookie: overrides.cookie ?? stateCookie.split(';')[0]! },
          }),
      };
    }
    const countUsers = async (app: TestApp = t) =>
      (await app.app.inject({ method: 'GET', url: '/api/v1/users?limit=1000', headers: bearer(app.adminToken) })).json()
        .length;

    it('redirects to the provider with the authorization code flow, PKCE S256, state and nonce', async () => {
      const start = await t.app.inject({ method: 'GET', url: '/api/v1/auth/sso/login' });
      const url = new URL(start.headers.location as string);
      assert.equal(url.origin, idp.issuer);
      assert.equal(url.searchParams.get('response_type'), 'code');
      assert.equal(url.searchParams.get('client_id'), 'roster');
      assert.equal(url.searchParams.get('redirect_uri'), CALLBACK);
      assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
      assert.match(url.searchParams.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
      assert.ok(url.searchParams.get('state')!.length >= 22);
      assert.ok(url.searchParams.get('nonce')!.length >= 22);
      assert.match(url.searchParams.get('scope')!, /openid/);
    });

    it('creates the account on first login, as the first superuser, and answers a token like /auth/login', async () => {
      const flow = await signIn('alice');
      const response = await flow.callback();
      assert.equal(response.statusCode, 200, response.body);
      const body = response.json();
      assert.equal(body.token_type, 'bearer');
      assert.equal(body.expires_in, 3600);
      const me = (
        await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(body.access_token) })
      ).json();
      assert.equal(me.username, 'Alice@Example.com');
      assert.equal(me.email, 'Alice@Example.com');
      assert.equal(me.email_verified, true, 'an email from the provider is verified');
      assert.equal(me.name, 'Alice Example');
      assert.equal(me.avatar_url, 'https://example.com/alice.png');
      assert.equal(me.oauth_provider, 'dev-idp');
      assert.equal(me.oauth_id, 'alice');
      assert.equal(me.is_superuser, true, 'the first SSO account becomes a superuser');
      assert.equal(me.is_service_account, false);
      const events = (
        await t.app.inject({ method: 'GET', url: `/api/v1/events?target_id=${me.id}`, headers: bearer(t.adminToken) })
      ).json();
      const provisioned = events.find((e: { type: string }) => e.type === 'user.sso_provisioned');
      assert.deepEqual(provisioned?.actor, { id: me.id, username: me.username, kind: 'user' });
      assert.deepEqual(provisioned?.changes.oauth_provider, [null, 'dev-idp']);
      assert.deepEqual(events.find((e: { type: string }) => e.type === 'user.login_succeeded')?.changes.method, [
        null,
        'sso',
      ]);
      // OAuth2 accounts have no password to log in with.
      const passwordLogin = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'alice@example.com', password: PASSWORD },
      });
      assert.equal(passwordLogin.statusCode, 401);
    });

    it('hands the token to the console in the fragment when the login started there, and errors the same way', async () => {
      const flow = await signIn('alice', t, '?console=tab-nonce-0123456789abcdef');
      assert.match(flow.cookies, /roster_sso_console=/);
      const response = await flow.callback({ cookie: flow.cookies });
      assert.equal(response.statusCode, 303, response.body);
      const location = new URL(response.headers.location as string, 'http://roster.invalid');
      assert.equal(location.pathname, '/admin/');
      assert.equal(location.search, '', 'nothing secret in the part of the address that reaches servers');
      const fragment = new URLSearchParams(location.hash.slice(1));
      const me = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users/me',
        headers: bearer(fragment.get('access_token')!),
      });
      assert.equal(me.statusCode, 200);
      assert.equal(me.json().email, 'Alice@Example.com');
      assert.equal(fragment.get('expires_in'), '3600');
      assert.equal(
        fragment.get('nonce'),
        'tab-nonce-0123456789abcdef',
        "the console's nonce comes back with the token",
      );
      // The same callback again: the state is spent, and the console is told so.
      const replay = await flow.callback({ cookie: flow.cookies });
      assert.equal(replay.statusCode, 303);
      const error = new URLSearchParams(new URL(replay.headers.location as string, 'http://x').hash.slice(1));
      assert.equal(error.get('access_token'), null);
      assert.ok(error.get('sso_error'));
      assert.equal(error.get('nonce'), 'tab-nonce-0123456789abcdef');
      // A nonce that is not one: 422, no login started.
      const bad = await t.app.inject({ method: 'GET', url: '/api/v1/auth/sso/login?console=x' });
      assert.equal(bad.statusCode, 422);
      // A login started elsewhere answers JSON as before, even when an earlier console login left its cookie.
      const plain = await signIn('alice');
      const json = await plain.callback({ cookie: `${plain.cookie}; roster_sso_console=forged` });
      assert.equal(json.statusCode, 200);
      assert.equal(json.json().token_type, 'bearer');
    });

    it('finds the same account on the next login and keeps edits made through the API', async () => {
      const [alice] = (
        await t.app.inject({ method: 'GET', url: '/api/v1/users?oauth_id=alice', headers: bearer(t.adminToken) })
      ).json();
      await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${alice.id}`,
        headers: bearer(t.adminToken),
        payload: { name: 'Alice, edited' },
      });
      const before = await countUsers();
      const response = await (await signIn('alice')).callback();
      assert.equal(response.statusCode, 200);
      const me = (
        await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(response.json().access_token) })
      ).json();
      assert.equal(me.id, alice.id);
      assert.equal(me.name, 'Alice, edited');
      assert.equal(await countUsers(), before);
    });

    it('lists the account through the oauth_provider and oauth_id filters', async () => {
      const byProvider = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users?oauth_provider=dev-idp',
        headers: bearer(t.adminToken),
      });
      assert.deepEqual(
        byProvider.json().map((u: { oauth_id: string }) => u.oauth_id),
        ['alice'],
      );
      const byId = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users?oauth_provider=dev-idp&oauth_id=alice',
        headers: bearer(t.adminToken),
      });
      assert.equal(byId.json().length, 1);
    });

    it('refuses to change the username or email of an OAuth2 account (403) and to give it a password', async () => {
      const response = await (await signIn('alice')).callback();
      const token = response.json().access_token;
      for (const payload of [
        { username: 'alice2' },
        { email: 'alice2@example.com' },
        { password: 'a-password-1', current_password: 'x' },
      ]) {
        const refused = await t.app.inject({
          method: 'PATCH',
          url: '/api/v1/users/me',
          headers: bearer(token),
          payload,
        });
        assert.equal(refused.statusCode, 403, JSON.stringify(payload));
        assert.equal(detail(refused)[0], 'IllegalOperationError');
      }
      const me = (await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(token) })).json();
      assert.equal(me.username, 'Alice@Example.com');
    });

    it('does not make later SSO accounts superusers', async () => {
      const response = await (await signIn('bob')).callback();
      assert.equal(response.statusCode, 200);
      const me = (
        await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(response.json().access_token) })
      ).json();
      assert.equal(me.is_superuser, false);
    });

    it('answers 409 for an email another account uses, linking nothing and creating nothing', async () => {
      await createUser(t, { username: 'local-dave', email: 'TAKEN@example.com' });
      const before = await countUsers();
      const response = await (await signIn('dave')).callback();
      assert.equal(response.statusCode, 409);
      assert.equal(detail(response)[0], 'EntityExistsError');
      assert.equal(await countUsers(), before);
      const linked = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users?oauth_id=dave',
        headers: bearer(t.adminToken),
      });
      assert.deepEqual(linked.json(), []);
      // The email was set by a superuser (verified): the local account keeps it.
      const local = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users?username=local-dave',
        headers: bearer(t.adminToken),
      });
      assert.deepEqual([local.json()[0].email, local.json()[0].email_verified], ['TAKEN@example.com', true]);
    });

    it('creates the account when a local account only set the email on itself, and takes the email from it', async () => {
      const { user, token } = await createUserWithToken(t);
      const claimed = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: bearer(token),
        payload: { email: 'heidi@EXAMPLE.com' },
      });
      assert.equal(claimed.statusCode, 200);
      assert.equal(claimed.json().email_verified, false);
      const before = await countUsers();
      const response = await (await signIn('heidi')).callback();
      assert.equal(response.statusCode, 200, response.body);
      const heidi = (
        await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(response.json().access_token) })
      ).json();
      assert.deepEqual(
        [heidi.username, heidi.email, heidi.email_verified, heidi.oauth_id],
        ['Heidi@example.com', 'Heidi@example.com', true, 'heidi'],
      );
      assert.equal(await countUsers(), before + 1);
      const local = (
        await t.app.inject({ method: 'GET', url: `/api/v1/users/${user.id}`, headers: bearer(t.adminToken) })
      ).json();
      assert.deepEqual([local.email, local.email_verified, local.username], [null, false, user.username]);
      const again = await (await signIn('heidi')).callback();
      assert.equal(again.statusCode, 200);
      assert.equal(await countUsers(), before + 1);
    });

    it("lets no local account take a person's email as its username, so that person's first login still works", async () => {
      const { user, token } = await createUserWithToken(t);
      for (const payload of [
        { username: 'ivy@example.com' },
        { username: 'IVY@example.com', email: 'ivy@example.com' },
      ]) {
        const refused = await t.app.inject({
          method: 'PATCH',
          url: '/api/v1/users/me',
          headers: bearer(token),
          payload,
        });
        assert.equal(refused.statusCode, 400, JSON.stringify(payload));
        assert.equal(detail(refused)[0], 'ValueError');
      }
      const unchanged = (
        await t.app.inject({ method: 'GET', url: `/api/v1/users/${user.id}`, headers: bearer(t.adminToken) })
      ).json();
      assert.deepEqual([unchanged.username, unchanged.email], [user.username, null]);
      const response = await (await signIn('ivy')).callback();
      assert.equal(response.statusCode, 200, response.body);
      const ivy = (
        await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(response.json().access_token) })
      ).json();
      assert.deepEqual([ivy.username, ivy.oauth_id], ['ivy@example.com', 'ivy']);
    });

    it('refuses (401) an email the provider has not verified, or none, and creates nothing', async () => {
      const before = await countUsers();
      for (const account of ['carol', 'erin']) {
        const response = await (await signIn(account)).callback();
        assert.equal(response.statusCode, 401, account);
        assert.equal(detail(response)[0], 'AuthorizationException');
      }
      assert.equal(await countUsers(), before);
    });

    it('refuses (401) an inactive account', async () => {
      const first = await (await signIn('frank')).callback();
      const frank = (
        await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(first.json().access_token) })
      ).json();
      await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${frank.id}`,
        headers: bearer(t.adminToken),
        payload: { is_active: false },
      });
      const again = await (await signIn('frank')).callback();
      assert.equal(again.statusCode, 401);
    });

    it('refuses a replayed state (401)', async () => {
      const flow = await signIn('bob');
      assert.equal((await flow.callback()).statusCode, 200);
      const replay = await flow.callback();
      assert.equal(replay.statusCode, 401);
    });

    it('counts single sign-on logins in /metrics by result', async () => {
      const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(text, /^roster_logins_total\{method="sso",result="success"\} [1-9]\d*$/m);
      assert.match(text, /^roster_logins_total\{method="sso",result="failure"\} [1-9]\d*$/m);
    });

    const refusals: [string, (flow: Awaited<ReturnType<typeof signIn>>) => Promise<{ statusCode: number }>][] = [
      [
        'a state that does not match the browser cookie',
        (flow) => flow.callback({ path: flow.path.replace(/state=[^&]+/, 'state=forged-state-value-0000000000') }),
      ],
      ['a missing cookie', (flow) => flow.callback({ cookie: 'unrelated=1' })],
      [
        'a cookie with a forged signature',
        (flow) => flow.callback({ cookie: flow.cookie.replace(/\.[^.]+$/, '.forgedsignature') }),
      ],
      [
        'an error answer from the provider',
        (flow) =>
          flow.callback({
            path: `/api/v1/auth/sso/callback?error=access_denied&state=${flow.location.searchParams.get('state')}`,
          }),
      ],
    ];
    for (const [name, act] of refusals) {
      it(`refuses ${name} (401) and creates nothing`, async () => {
        const before = await countUsers();
        const response = await act(await signIn('grace'));
        assert.equal(response.statusCode, 401);
        assert.equal(await countUsers(), before);
      });
    }

    const forgeries: [string, (payload: JWTPayload) => JWTPayload | 'bad-signature'][] = [
      ['a wrong nonce', (p) => ({ ...p, nonce: 'not-the-nonce' })],
      ['an ID token for another audience', (p) => ({ ...p, aud: 'other-app', azp: 'other-app' })],
      ['an ID token from another issuer', (p) => ({ ...p, iss: 'http://127.0.0.1:1/evil' })],
      ['an expired ID token', (p) => ({ ...p, iat: 1_000_000_000, exp: 1_000_000_600 })],
      ['an ID token with a broken signature', () => 'bad-signature'],
    ];
    for (const [name, change] of forgeries) {
      it(`refuses ${name} (401) and creates nothing`, async () => {
        const before = await countUsers();
        const flow = await signIn('grace');
        tamper = change;
        const response = await flow.callback();
        tamper = undefined;
        assert.equal(response.statusCode, 401, response.body);
        assert.equal(detail(response)[0], 'AuthorizationException');
        assert.equal(await countUsers(), before);
        const grace = await t.app.inject({
          method: 'GET',
          url: '/api/v1/users?oauth_id=grace',
          headers: bearer(t.adminToken),
        });
        assert.deepEqual(grace.json(), []);
      });
    }

    it('never makes a later SSO account a superuser, even after the first one lost the role', async () => {
      const [alice] = (
        await t.app.inject({ method: 'GET', url: '/api/v1/users?oauth_id=alice', headers: bearer(t.adminToken) })
      ).json();
      const demoted = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${alice.id}`,
        headers: bearer(t.adminToken),
        payload: { is_superuser: false },
      });
      assert.equal(demoted.statusCode, 200);
      const superusers = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users?is_superuser=true',
        headers: bearer(t.adminToken),
      });
      assert.deepEqual(
        superusers.json().map((u: { username: string }) => u.username),
        ['admin'],
      );
      const response = await (await signIn('grace')).callback();
      assert.equal(response.statusCode, 200);
      const me = (
        await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(response.json().access_token) })
      ).json();
      assert.equal(me.is_superuser, false);
    });

    it('makes no SSO account a superuser when another superuser already exists', async () => {
      const fresh = await createTestApp(engine, {}, { oidc });
      try {
        await createUser(fresh, { is_superuser: true });
        const response = await (await signIn('alice', fresh)).callback();
        assert.equal(response.statusCode, 200);
        const me = (
          await fresh.app.inject({
            method: 'GET',
            url: '/api/v1/users/me',
            headers: bearer(response.json().access_token),
          })
        ).json();
        assert.equal(me.is_superuser, false);
      } finally {
        await fresh.close();
      }
    });

    it('answers 404 on both endpoints when single sign-on is not configured', async () => {
      const plain = await createTestApp(engine);
      try {
        for (const url of ['/api/v1/auth/sso/login', '/api/v1/auth/sso/callback?code=x&state=y']) {
          const response = await plain.app.inject({ method: 'GET', url });
          assert.equal(response.statusCode, 404, url);
          assert.equal(detail(response)[0], 'KeyError');
        }
        assert.ok(await login(plain.app, 'admin', 'admin-password-1'));
      } finally {
        await plain.close();
      }
    });

    it('refuses an unreachable or invalid provider at startup with one clear line', async () => {
      await assert.rejects(discoverOidc({ ...settings, issuer: 'http://127.0.0.1:9/' }), (error: Error) => {
        assert.ok(error instanceof OidcDiscoveryError);
        assert.match(error.message, /^cannot use the discovery document of http:\/\/127\.0\.0\.1:9\//);
        assert.ok(!error.message.includes('\n'));
        return true;
      });
      await assert.rejects(discoverOidc({ ...settings, issuer: `${idp.issuer}/not-an-issuer` }), OidcDiscoveryError);
    });
  });
}

describe('single sign-on configuration', () => {
  const full = {
    ROSTER_OIDC_ISSUER: 'https://id.example.com',
    ROSTER_OIDC_CLIENT_ID: 'roster',
    ROSTER_OIDC_CLIENT_SECRET: 'secret',
    ROSTER_OIDC_PROVIDER: 'example',
    ROSTER_PUBLIC_URL: 'https://roster.example.com/',
  };

  it('reads all five variables', () => {
    const config = loadConfig(full).oidc!;
    assert.equal(config.issuer, 'https://id.example.com');
    assert.equal(config.publicUrl, 'https://roster.example.com');
    assert.equal(loadConfig({}).oidc, undefined);
  });

  it('needs all of them, and https except on loopback addresses', () => {
    assert.throws(() => loadConfig({ ROSTER_OIDC_ISSUER: 'https://id.example.com' }), ConfigError);
    const { ROSTER_PUBLIC_URL: _unused, ...withoutPublicUrl } = full;
    assert.throws(() => loadConfig(withoutPublicUrl), /ROSTER_PUBLIC_URL must be set too/);
    assert.throws(() => loadConfig({ ...full, ROSTER_OIDC_ISSUER: 'http://id.example.com' }), /must use https/);
    for (const host of ['127.0.0.1:9000', 'localhost:9000', '[::1]:9000']) {
      assert.equal(loadConfig({ ...full, ROSTER_OIDC_ISSUER: `http://${host}` }).oidc!.issuer, `http://${host}`);
    }
  });
});
