/**
 * Where Roster is put together: each service gets the repositories of its
 * own module (rebound to a transaction by its `Transactor`) and the services
 * it calls, and nothing else. The HTTP app and the command line both build
 * their services here.
 */
import { AccessRepository } from './auth/access.repository.js';
import { AccessService } from './auth/access.js';
import { SecretBox } from './auth/secrets.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { type Executor, transactor } from './db/transactions.js';
import { ApiKeysRepository } from './modules/api-keys/api-keys.repository.js';
import { ApiKeysService } from './modules/api-keys/api-keys.service.js';
import { AuthService } from './modules/auth/auth.service.js';
import { EventsRepository } from './modules/events/events.repository.js';
import { EventsService } from './modules/events/events.service.js';
import { EventFeed } from './modules/events/feed.js';
import { InvitationsRepository } from './modules/invitations/invitations.repository.js';
import { InvitationsService } from './modules/invitations/invitations.service.js';
import { OrganizationsRepository } from './modules/organizations/organizations.repository.js';
import { OrganizationsService } from './modules/organizations/organizations.service.js';
import { SessionsRepository } from './modules/sessions/sessions.repository.js';
import { SessionsService } from './modules/sessions/sessions.service.js';
import { SettingsRepository } from './modules/settings/settings.repository.js';
import { SettingsService } from './modules/settings/settings.service.js';
import type { OidcClient } from './modules/sso/oidc-client.js';
import { SsoLoginsRepository } from './modules/sso/sso-logins.repository.js';
import { SsoService } from './modules/sso/sso.service.js';
import { DeviceLoginsRepository } from './modules/device/device.repository.js';
import { DeviceService } from './modules/device/device.service.js';
import { LoginFailuresRepository } from './modules/throttle/login-failures.repository.js';
import { LoginThrottle } from './modules/throttle/login-throttle.js';
import { UsersRepository } from './modules/users/users.repository.js';
import { UsersService } from './modules/users/users.service.js';
import { WorkspacesRepository } from './modules/workspaces/workspaces.repository.js';
import { WorkspacesService } from './modules/workspaces/workspaces.service.js';
import { WebhooksRepository } from './modules/webhooks/webhooks.repository.js';
import { WebhooksService } from './modules/webhooks/webhooks.service.js';
import type { LoginObserver } from './observability/metrics.js';

export interface Services {
  /** Who may see and change what (also resolves organization names in paths). */
  access: AccessService;
  settings: SettingsService;
  events: EventsService;
  /** Wakes long polls; the app connects it to the database's commits. */
  feed: EventFeed;
  webhooks: WebhooksService;
  users: UsersService;
  auth: AuthService;
  organizations: OrganizationsService;
  workspaces: WorkspacesService;
  apiKeys: ApiKeysService;
  invitations: InvitationsService;
  device: DeviceService;
  /** Present when single sign-on is configured. */
  sso?: SsoService;
}

export interface ServiceDeps {
  clock: Clock;
  config: Pick<Config, 'loginThrottle' | 'tokenTtlSeconds' | 'webhooks'> & { publicUrl?: string | undefined };
  /** Seals webhook secrets; without it, webhooks can be neither created nor delivered (the command line). */
  secretKey?: string;
  /** Told how each login attempt ended (metrics). */
  loginObserver?: LoginObserver;
  oidc?: OidcClient;
}

export function buildServices(db: Executor, { clock, config, loginObserver, oidc, secretKey }: ServiceDeps): Services {
  const access = new AccessService(transactor(db, { access: AccessRepository }));
  const feed = new EventFeed();
  const events = new EventsService(transactor(db, { events: EventsRepository }), clock, access, feed);
  const webhooks = new WebhooksService(
    transactor(db, { webhooks: WebhooksRepository }),
    clock,
    events,
    secretKey === undefined ? unavailableSecrets : new SecretBox(secretKey),
    config.webhooks,
  );
  const settings = new SettingsService(transactor(db, { settings: SettingsRepository }));
  const sessions = new SessionsService(transactor(db, { sessions: SessionsRepository }), clock);
  const throttle = new LoginThrottle(new LoginFailuresRepository(db), clock, config.loginThrottle);
  const users = new UsersService(
    transactor(db, { users: UsersRepository }),
    clock,
    access,
    sessions,
    settings,
    throttle,
    events,
  );
  const apiKeys = new ApiKeysService(transactor(db, { apiKeys: ApiKeysRepository }), clock, access, users, events);
  const auth = new AuthService(
    users,
    sessions,
    apiKeys,
    events,
    clock,
    throttle,
    config.tokenTtlSeconds,
    loginObserver,
    secretKey,
  );
  const workspaces = new WorkspacesService(
    transactor(db, { workspaces: WorkspacesRepository }),
    clock,
    access,
    users,
    events,
  );
  const organizations = new OrganizationsService(
    transactor(db, { organizations: OrganizationsRepository }),
    clock,
    access,
    users,
    workspaces,
    events,
  );
  const invitations = new InvitationsService(
    transactor(db, { invitations: InvitationsRepository }),
    clock,
    access,
    users,
    organizations,
    events,
  );
  const services: Services = {
    access,
    settings,
    events,
    feed,
    webhooks,
    users,
    auth,
    organizations,
    workspaces,
    apiKeys,
    invitations,
    device: new DeviceService(
      transactor(db, { devices: DeviceLoginsRepository }),
      clock,
      auth,
      users,
      events,
      throttle,
      config.publicUrl ?? '',
    ),
  };
  if (oidc) services.sso = new SsoService(transactor(db, { ssoLogins: SsoLoginsRepository }), clock, oidc, users, auth);
  return services;
}

const unavailableSecrets = {
  seal(): never {
    throw new Error('webhook secrets need the secret key');
  },
  open(): never {
    throw new Error('webhook secrets need the secret key');
  },
} as unknown as SecretBox;
