import { v7 as uuidv7 } from 'uuid';
import type { Clock } from '../../clock.js';
import { AuthorizationException, TooManyRequests } from '../../domain/errors.js';
import type { Principal } from '../../auth/access.js';
import type { LoginThrottle } from './login-throttle.js';
import { verifyNothing, verifyPassword } from '../../auth/passwords.js';
import { hashToken, newAccessToken } from '../../auth/tokens.js';
import type { Store } from '../../store.js';

/** One message for every failed login, whatever the reason (no account enumeration). */
const LOGIN_FAILED = 'wrong username or password';
const BAD_CREDENTIALS = 'missing, malformed, expired or revoked credentials';

export interface AccessToken {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
}

export class AuthService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly throttle: LoginThrottle,
    private readonly tokenTtlSeconds: number,
  ) {}

  /**
   * Password login (API.md 3). Unknown user, wrong password, inactive account,
   * service account or OAuth2 account: the same 401 after the same work.
   */
  async login(username: string | undefined, password: string, address: string): Promise<AccessToken> {
    const retryAfter = await this.throttle.retryAfter(username, address);
    if (retryAfter > 0) throw new TooManyRequests('too many failed logins; try again later', retryAfter);

    const user = username === undefined ? undefined : await this.store.repos.users.findByLogin(username);
    const verified =
      user?.password_hash != null ? await verifyPassword(user.password_hash, password) : await verifyNothing(password);
    if (!user || !verified || !user.is_active || user.is_service_account) {
      await this.throttle.recordFailure(username, address);
      throw new AuthorizationException(LOGIN_FAILED);
    }
    await this.throttle.recordSuccess(username);
    return this.issueToken(user.id);
  }

  /** Resolves a bearer token to its caller; any doubt is a 401. */
  async authenticate(token: string | undefined): Promise<Principal> {
    if (!token) throw new AuthorizationException(BAD_CREDENTIALS);
    const found = await this.store.repos.sessions.findLive(hashToken(token), this.now());
    if (!found || !found.user.is_active) throw new AuthorizationException(BAD_CREDENTIALS);
    return { user: found.user, sessionId: found.sessionId };
  }

  /** Revokes the session the request was made with. */
  async logout(principal: Principal): Promise<void> {
    await this.store.repos.sessions.delete(principal.sessionId);
  }

  private async issueToken(userId: string): Promise<AccessToken> {
    const token = newAccessToken();
    const now = this.clock();
    await this.store.repos.sessions.deleteExpiredForUser(userId, now.toISOString());
    await this.store.repos.sessions.insert({
      id: uuidv7(),
      token_hash: hashToken(token),
      user_id: userId,
      created: now.toISOString(),
      expires: new Date(now.getTime() + this.tokenTtlSeconds * 1000).toISOString(),
    });
    return { access_token: token, token_type: 'bearer', expires_in: this.tokenTtlSeconds };
  }

  private now(): string {
    return this.clock().toISOString();
  }
}
