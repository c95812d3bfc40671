import { randomBytes, randomInt } from 'node:crypto';
import type { Static } from 'typebox';
import { newId } from '../../domain/ids.js';
import { addressGroup } from '../../auth/address.js';
import { eventBy, type Principal } from '../../auth/access.js';
import { sha256 } from '../../auth/tokens.js';
import type { Clock } from '../../clock.js';
import type { Transactor } from '../../db/transactions.js';
import {
  AuthorizationException,
  IllegalOperationError,
  KeyError,
  OAuthError,
  TooManyRequests,
} from '../../domain/errors.js';
import type { RequestContext } from '../../domain/events.js';
import type { AccessToken, AuthService } from '../auth/auth.service.js';
import type { EventsService } from '../events/events.service.js';
import type { LoginThrottle } from '../throttle/login-throttle.js';
import type { UsersService } from '../users/users.service.js';
import type { DeviceLoginsRepository } from './device.repository.js';
import type { DeviceAuthorizationSchema } from './device.schemas.js';

/** The grant type a device polls `POST /auth/login` with (RFC 8628 section 3.4). */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** A device login can be approved, and its token taken, for this long. */
export const DEVICE_LOGIN_TTL_SECONDS = 600;
/** Seconds a client waits between polls (RFC 8628: 5 by default). */
export const POLL_INTERVAL_SECONDS = 5;
/** Pending device logins one client address may have (unauthenticated writes are bounded). */
export const MAX_PENDING_DEVICE_LOGINS_PER_ADDRESS = 10;
/** Wrong user codes an account, and an address, may try per throttle window. */
export const MAX_CODE_GUESSES_PER_ACCOUNT = 10;
export const MAX_CODE_GUESSES_PER_ADDRESS = 30;

/** Consonants that no one mistakes for one another (RFC 8628 section 6.1): 20^8 codes. */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

export type DeviceAuthorization = Static<typeof DeviceAuthorizationSchema>;

/** How people write a user code: any case, with or without the hyphen or spaces. */
export function normalizeUserCode(text: string): string {
  return text.toUpperCase().replace(/[\s-]/g, '');
}

function newUserCode(): string {
  let code = '';
  for (let i = 0; i < 8; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

const shown = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

/**
 * Device authorization (API.md 3.4, RFC 8628): a command-line client starts
 * a device login and polls; a person signed in elsewhere approves its user
 * code; the next poll takes the approving account's token, once.
 */
export class DeviceService {
  constructor(
    private readonly unit: Transactor<{ devices: DeviceLoginsRepository }>,
    private readonly clock: Clock,
    private readonly auth: AuthService,
    private readonly users: UsersService,
    private readonly events: EventsService,
    private readonly throttle: LoginThrottle,
    /** Where the approval page is: ROSTER_PUBLIC_URL, or '' for a relative URI. */
    private readonly publicUrl: string,
  ) {}

  async start(clientId: string | undefined, address: string): Promise<DeviceAuthorization> {
    const deviceCode = randomBytes(32).toString('base64url');
    const now = this.clock();
    const addressKey = sha256(`a:${addressGroup(address)}`);
    let userCode = newUserCode();
    // 20^8 codes: a collision with a stored one is rare, and then another is drawn.
    for (let i = 0; i < 5 && (await this.unit.repos.devices.userCodeTaken(userCode)); i++) userCode = newUserCode();
    const stored = await this.unit.run(({ devices }) =>
      devices.insertBounded(
        {
          id: newId(),
          device_code_hash: sha256(deviceCode),
          user_code: userCode,
          client_id: clientId ?? null,
          address_key: addressKey,
          interval: POLL_INTERVAL_SECONDS,
          created: now.toISOString(),
          expires: new Date(now.getTime() + DEVICE_LOGIN_TTL_SECONDS * 1000).toISOString(),
        },
        now.toISOString(),
        MAX_PENDING_DEVICE_LOGINS_PER_ADDRESS,
      ),
    );
    if (!stored) {
      throw new TooManyRequests(
        'too many device logins under way from this address; finish one or wait',
        DEVICE_LOGIN_TTL_SECONDS,
      );
    }
    const page = `${this.publicUrl}/admin/device`;
    return {
      device_code: deviceCode,
      user_code: shown(userCode),
      verification_uri: page,
      verification_uri_complete: `${page}?user_code=${shown(userCode)}`,
      expires_in: DEVICE_LOGIN_TTL_SECONDS,
      interval: POLL_INTERVAL_SECONDS,
    };
  }

  /**
   * A person answers a user code: approve or deny. Only human accounts; wrong
   * codes are limited per account and per address; a code is answered once.
   */
  async verify(principal: Principal, userCodeText: string, approve: boolean): Promise<void> {
    if (principal.user.is_service_account) {
      throw new IllegalOperationError('only people approve device logins; service accounts log in with their keys');
    }
    const counters = [
      { key: `device-code:account:${principal.user.id}`, max: MAX_CODE_GUESSES_PER_ACCOUNT },
      { key: `device-code:address:${addressGroup(principal.address)}`, max: MAX_CODE_GUESSES_PER_ADDRESS },
    ];
    const wait = await this.throttle.reserveEach(counters);
    if (wait > 0) throw new TooManyRequests('too many user codes tried; wait before trying again', wait);
    const userCode = normalizeUserCode(userCodeText);
    const now = this.clock().toISOString();
    await this.unit.run(async ({ devices }, tx) => {
      const login = await devices.findByUserCode(userCode);
      if (login?.status !== 'pending' || login.expires <= now) {
        throw new KeyError('no device login waits for this code; it may have expired or been answered');
      }
      await devices.update(login.id, {
        status: approve ? 'approved' : 'denied',
        user_id: principal.user.id,
        credential_version: principal.user.credential_version,
      });
      this.events.record(
        tx,
        eventBy(
          principal,
          approve ? 'user.device_login_approved' : 'user.device_login_denied',
          { type: 'user', id: principal.user.id },
          principal.user.organization_id,
          { client_id: [null, login.client_id] },
        ),
      );
    });
    // A code that was found is no guess: the attempt is given back.
    await this.throttle.giveBack(counters.map((c) => c.key));
  }

  /** A client's poll (RFC 8628 section 3.4): the token once approved, else the RFC's error. */
  async poll(deviceCode: string, context: RequestContext): Promise<AccessToken> {
    const now = this.clock();
    const nowIso = now.toISOString();
    // The answer is decided, and the poll recorded, in the transaction; errors are thrown after
    // it commits (a throw inside would roll back the poll's time and a raised interval).
    const outcome = await this.unit.run(
      async ({ devices }): Promise<OAuthError | { approver: string; credentialVersion: number | null }> => {
        const login = await devices.findByDeviceCode(sha256(deviceCode));
        if (!login || login.status === 'consumed') {
          return new OAuthError('invalid_grant', 'the device code is unknown or was used');
        }
        if (login.expires <= nowIso) return new OAuthError('expired_token', 'the device code has expired; start again');
        // A second of slack: requests that left on time can arrive early (jitter, a proxy).
        if (login.last_poll !== null && now.getTime() - Date.parse(login.last_poll) < (login.interval - 1) * 1000) {
          await devices.update(login.id, { interval: login.interval + 5, last_poll: nowIso });
          return new OAuthError('slow_down', `poll at most every ${login.interval + 5} seconds`);
        }
        if (login.status === 'pending') {
          await devices.update(login.id, { last_poll: nowIso });
          return new OAuthError('authorization_pending', 'the login has not been approved yet');
        }
        if (login.status === 'denied') return new OAuthError('access_denied', 'the login was denied');
        // Approved: taken once, whatever comes of the token.
        await devices.update(login.id, { status: 'consumed', last_poll: nowIso });
        return { approver: login.user_id!, credentialVersion: login.credential_version };
      },
    );
    if (outcome instanceof OAuthError) throw outcome;
    try {
      const user = await this.users.byId(outcome.approver);
      // A password change or deactivation since the approval voids it.
      if (user.credential_version !== outcome.credentialVersion) {
        throw new OAuthError('access_denied', "the approving account's credentials changed since it approved");
      }
      return await this.auth.openSession(user, context, 'device_code');
    } catch (error) {
      // The approving account was deactivated or deleted meanwhile.
      if (error instanceof AuthorizationException || error instanceof KeyError) {
        throw new OAuthError('access_denied', 'the approving account cannot log in');
      }
      throw error;
    }
  }
}
