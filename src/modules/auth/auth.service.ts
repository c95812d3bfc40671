import type { Clock } from '../../clock.js';
import { ForeignKeyViolation } from '../../db/errors.js';
import { AuthorizationException, TooManyRequests, ValueError } from '../../domain/errors.js';
import { eventBy, type Principal } from '../../auth/access.js';
import { verifyNothing, verifyPassword } from '../../auth/passwords.js';
import { createHmac } from 'node:crypto';
import { API_KEY_PREFIX, hashToken, newAccessToken, sha256 } from '../../auth/tokens.js';
import type { Actor, RequestContext } from '../../domain/events.js';
import type { UserRecord } from '../../domain/records.js';
import type { LoginMethod, LoginObserver } from '../../observability/metrics.js';
import type { ApiKeysService } from '../api-keys/api-keys.service.js';
import type { EventsService } from '../events/events.service.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import type { AttemptKeys, LoginThrottle } from '../throttle/login-throttle.js';
import type { UsersService } from '../users/users.service.js';
import type { AccessToken } from './auth.schemas.js';

/** One message for every failed login, whatever the reason (no account enumeration). */
const LOGIN_FAILED = 'wrong username or password';
const BAD_CREDENTIALS = 'missing, malformed, expired or revoked credentials';

export type { AccessToken } from './auth.schemas.js';

export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly apiKeys: ApiKeysService,
    private readonly events: EventsService,
    private readonly clock: Clock,
    private readonly throttle: LoginThrottle,
    private readonly tokenTtlSeconds: number,
    private readonly observer?: LoginObserver,
    /** Keys the hash of attempted names in failed-login events (the service's secret key). */
    private readonly nameKey?: string,
  ) {}

  /** A name as failed-login events keep it: keyed, so that a name typed by mistake (a password) cannot be looked up. */
  private nameHash(name: string): string {
    const lower = name.toLowerCase();
    return this.nameKey === undefined
      ? sha256(lower)
      : createHmac('sha256', this.nameKey).update(lower).digest('base64url');
  }

  /** Reports how a login attempt ended (metrics), then passes its outcome on. */
  async observed<T>(method: LoginMethod, attempt: () => Promise<T>): Promise<T> {
    try {
      const result = await attempt();
      this.observer?.loginAttempted(method, 'success');
      return result;
    } catch (error) {
      if (error instanceof TooManyRequests) this.observer?.loginAttempted(method, 'throttled');
      else if (error instanceof AuthorizationException) this.observer?.loginAttempted(method, 'failure');
      throw error;
    }
  }

  /**
   * Login (API.md 3): a username (or email) and password, or only a password
   * that is a service account's API key. Every failure is the same 401 after
   * the same work; every attempt counts against the rate limits before the
   * password is checked.
   */
  login(username: string | undefined, password: string, context: RequestContext): Promise<AccessToken> {
    return this.observed(username === undefined ? 'api_key' : 'password', () =>
      this.checkLogin(username, password, context),
    );
  }

  private async checkLogin(
    username: string | undefined,
    password: string,
    context: RequestContext,
  ): Promise<AccessToken> {
    const attempt: AttemptKeys = { address: context.ip, ...(username === undefined ? {} : { name: username }) };
    const wait = await this.throttle.reserve(attempt);
    if (wait > 0) throw new TooManyRequests('too many failed logins; try again later', wait);
    const user = username === undefined ? undefined : await this.users.findByLogin(username);

    let token: AccessToken | undefined;
    if (username === undefined) {
      const found = await this.apiKeys.authenticate(password);
      if (found) token = await this.issueToken(found.user, found.key.id, found.key.expires, context);
    } else {
      const verified =
        user?.password_hash != null
          ? await verifyPassword(user.password_hash, password)
          : await verifyNothing(password);
      if (user && verified && user.is_active && !user.is_service_account)
        token = await this.issueToken(user, null, null, context);
    }
    if (!token) {
      // The account when the name is one, else no target; the name as typed only hashed.
      await this.events.recordNow({
        type: 'user.login_failed',
        actor: null,
        target: user ? { type: 'user', id: user.id } : null,
        changes: username === undefined ? {} : { attempted_name_hash: [null, this.nameHash(username)] },
        request: context,
      });
      throw new AuthorizationException(LOGIN_FAILED);
    }
    await this.throttle.succeeded(attempt);
    return token;
  }

  /** Resolves a bearer credential (access token or API key) to its caller; any doubt is a 401. */
  async authenticate(token: string | undefined, context: RequestContext): Promise<Principal> {
    if (!token) throw new AuthorizationException(BAD_CREDENTIALS);
    const address = context.ip;
    if (token.startsWith(API_KEY_PREFIX)) {
      const found = await this.apiKeys.authenticate(token);
      if (!found) throw new AuthorizationException(BAD_CREDENTIALS);
      return { user: found.user, sessionId: null, apiKeyId: found.key.id, address, request: context };
    }
    const found = await this.sessions.findLive(hashToken(token));
    if (!found?.user.is_active) throw new AuthorizationException(BAD_CREDENTIALS);
    return { user: found.user, sessionId: found.sessionId, apiKeyId: found.apiKeyId, address, request: context };
  }

  /** Revokes the session the request was made with. */
  async logout(principal: Principal): Promise<void> {
    if (principal.sessionId === null) {
      throw new ValueError('an API key is not a session: delete the key to revoke it');
    }
    const sessionId = principal.sessionId;
    await this.events.transaction(async (tx) => {
      await this.sessions.close(sessionId, tx);
      this.events.record(tx, eventBy(principal, 'user.logged_out', { type: 'user', id: principal.user.id }, null));
    });
  }

  /** Opens a session for an account that signed in elsewhere (single sign-on, an approved device login); 401 if it cannot. */
  async openSession(
    user: UserRecord,
    context: RequestContext,
    method: 'sso' | 'device_code' = 'sso',
  ): Promise<AccessToken> {
    if (!user.is_active) throw new AuthorizationException('this account is deactivated');
    const token = await this.issueToken(user, null, null, context, method);
    if (!token) throw new AuthorizationException(LOGIN_FAILED);
    return token;
  }

  /**
   * Opens a session bound to the account's credential version as it was when
   * the password was checked: a password change or deactivation committed
   * meanwhile leaves the new session dead on arrival. Undefined when the
   * account (or key) was deleted meanwhile.
   */
  private async issueToken(
    user: UserRecord,
    apiKeyId: string | null,
    keyExpires: string | null,
    context: RequestContext,
    method: 'password' | 'api_key' | 'sso' | 'device_code' = apiKeyId === null ? 'password' : 'api_key',
  ) {
    const token = newAccessToken();
    const now = this.clock();
    let expires = now.getTime() + this.tokenTtlSeconds * 1000;
    // A session opened with an API key never outlives the key.
    if (keyExpires !== null) expires = Math.min(expires, Date.parse(keyExpires));
    const actor: Actor = {
      id: user.id,
      username: user.username,
      kind: user.is_service_account ? 'service_account' : 'user',
    };
    try {
      await this.events.transaction(async (tx) => {
        await this.sessions.open(
          {
            tokenHash: hashToken(token),
            userId: user.id,
            credentialVersion: user.credential_version,
            expires: new Date(expires).toISOString(),
            apiKeyId,
          },
          tx,
        );
        this.events.record(tx, {
          type: 'user.login_succeeded',
          actor,
          target: { type: 'user', id: user.id },
          changes: { method: [null, method] },
          request: context,
        });
      });
    } catch (error) {
      if (error instanceof ForeignKeyViolation) return undefined;
      throw error;
    }
    return {
      access_token: token,
      token_type: 'bearer' as const,
      expires_in: Math.round((expires - now.getTime()) / 1000),
    };
  }
}
