import { timingSafeEqual } from 'node:crypto';
import type * as OpenId from 'openid-client';
import { addressGroup } from '../../auth/address.js';
import { sha256 } from '../../auth/tokens.js';
import type { Clock } from '../../clock.js';
import { AuthorizationException, TooManyRequests } from '../../domain/errors.js';
import type { RequestContext } from '../../domain/events.js';
import type { Transactor } from '../../db/transactions.js';
import type { AccessToken, AuthService } from '../auth/auth.service.js';
import type { UsersService } from '../users/users.service.js';
import type { OidcClient } from './oidc-client.js';
import type { SsoLoginsRepository } from './sso-logins.repository.js';

/** Pending (started, not completed) single sign-on logins one client address may have. */
export const MAX_PENDING_SSO_LOGINS_PER_ADDRESS = 20;

/** How long a browser has between leaving for the provider and coming back. */
export const SSO_LOGIN_TTL_SECONDS = 600;

const hash = sha256;

/** Single sign-on with OpenID Connect (API.md 3.2): authorization code flow with PKCE, state and nonce. */
export class SsoService {
  constructor(
    private readonly unit: Transactor<{ ssoLogins: SsoLoginsRepository }>,
    private readonly clock: Clock,
    private readonly oidc: OidcClient,
    private readonly users: UsersService,
    private readonly auth: AuthService,
  ) {}

  /**
   * Starts a login: the pending state, nonce and PKCE verifier are kept in the
   * database (any instance can complete it, once); the state also goes into the
   * browser's cookie, binding the callback to the browser that started it.
   */
  async begin(address: string): Promise<{ url: string; state: string }> {
    const client = this.oidc.lib;
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const now = this.clock();
    // Unauthenticated writes are bounded: a few pending logins per client address.
    const addressKey = hash(`a:${addressGroup(address)}`);
    const stored = await this.unit.run(({ ssoLogins }) =>
      ssoLogins.insertBounded(
        {
          state_hash: hash(state),
          code_verifier: codeVerifier,
          nonce,
          expires: new Date(now.getTime() + SSO_LOGIN_TTL_SECONDS * 1000).toISOString(),
          address_key: addressKey,
        },
        now.toISOString(),
        MAX_PENDING_SSO_LOGINS_PER_ADDRESS,
      ),
    );
    if (!stored) {
      throw new TooManyRequests(
        'too many single sign-on logins under way from this address; finish one or wait',
        SSO_LOGIN_TTL_SECONDS,
      );
    }
    const url = client.buildAuthorizationUrl(this.oidc.config, {
      redirect_uri: this.oidc.redirectUri,
      scope: 'openid email profile',
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state };
  }

  /**
   * Completes a login: the state must match the browser's cookie and a pending
   * login (once); the code is exchanged with the verifier; the ID token's
   * signature, issuer, audience, nonce and expiry are checked. Any failure is
   * a 401 and creates nothing.
   */
  complete(
    query: Record<string, string>,
    cookieState: string | undefined,
    context: RequestContext,
  ): Promise<AccessToken> {
    return this.auth.observed('sso', () => this.completeLogin(query, cookieState, context));
  }

  private async completeLogin(
    query: Record<string, string>,
    cookieState: string | undefined,
    context: RequestContext,
  ): Promise<AccessToken> {
    if (query.error) throw new AuthorizationException(`the provider refused the login (${query.error.slice(0, 100)})`);
    const state = query.state;
    if (!state || !cookieState || !sameText(state, cookieState)) {
      throw new AuthorizationException('single sign-on state does not match this browser');
    }
    const pending = await this.unit.repos.ssoLogins.take(hash(state), this.clock().toISOString());
    if (!pending) throw new AuthorizationException('single sign-on state is unknown, used or expired; start again');

    const client = this.oidc.lib;
    const callback = new URL(this.oidc.redirectUri);
    for (const [key, value] of Object.entries(query)) callback.searchParams.set(key, value);
    let claims: OpenId.IDToken;
    let userinfo: OpenId.UserInfoResponse | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(
        this.oidc.config,
        callback,
        {
          pkceCodeVerifier: pending.code_verifier,
          expectedState: state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        },
        { redirect_uri: this.oidc.redirectUri },
      );
      claims = tokens.claims()!;
      if (claims.email === undefined) {
        userinfo = await client.fetchUserInfo(this.oidc.config, tokens.access_token, claims.sub);
      }
    } catch (error) {
      throw new AuthorizationException(`single sign-on failed: ${describe(error)}`);
    }
    const source = { ...userinfo, ...claims };
    const user = await this.users.signInOauth(
      {
        provider: this.oidc.settings.provider,
        sub: claims.sub,
        ...(typeof source.email === 'string' ? { email: source.email } : {}),
        ...(typeof source.email_verified === 'boolean' ? { email_verified: source.email_verified } : {}),
        ...(typeof source.name === 'string' ? { name: source.name } : {}),
        ...(typeof source.picture === 'string' ? { picture: source.picture } : {}),
      },
      context,
    );
    return this.auth.openSession(user, context);
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A short reason for a failed exchange: the library's error code, never tokens or secrets. */
function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const reason = typeof code === 'string' ? code : error.name;
    return `${reason}: ${error.message}`.slice(0, 300);
  }
  return 'unexpected response from the provider';
}
