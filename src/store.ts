import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';
import { pendingMigrations } from './db/migrate.js';
import { UsersRepository } from './modules/users/users.repository.js';
import { SessionsRepository } from './modules/auth/sessions.repository.js';
import { LoginFailuresRepository } from './modules/auth/login-failures.repository.js';
import { SettingsRepository } from './modules/settings/settings.repository.js';
import { OrganizationsRepository } from './modules/organizations/organizations.repository.js';
import { WorkspacesRepository } from './modules/workspaces/workspaces.repository.js';
import { ApiKeysRepository } from './modules/api-keys/api-keys.repository.js';
import { SsoLoginsRepository } from './modules/sso/sso-logins.repository.js';
import { InvitationsRepository } from './modules/invitations/invitations.repository.js';

/** Every repository, bound to one executor (the database, or one transaction). */
export interface Repositories {
  users: UsersRepository;
  sessions: SessionsRepository;
  settings: SettingsRepository;
  loginFailures: LoginFailuresRepository;
  organizations: OrganizationsRepository;
  workspaces: WorkspacesRepository;
  apiKeys: ApiKeysRepository;
  ssoLogins: SsoLoginsRepository;
  invitations: InvitationsRepository;
}

function repositories(db: Kysely<Database>): Repositories {
  return {
    users: new UsersRepository(db),
    sessions: new SessionsRepository(db),
    settings: new SettingsRepository(db),
    loginFailures: new LoginFailuresRepository(db),
    organizations: new OrganizationsRepository(db),
    workspaces: new WorkspacesRepository(db),
    apiKeys: new ApiKeysRepository(db),
    ssoLogins: new SsoLoginsRepository(db),
    invitations: new InvitationsRepository(db),
  };
}

/**
 * What services get: repositories for single statements, and `transaction`
 * for work that must succeed or fail as a whole.
 */
export class Store {
  readonly repos: Repositories;

  constructor(private readonly db: Kysely<Database>) {
    this.repos = repositories(db);
  }

  transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => work(repositories(trx)));
  }

  /** The migrations this build needs that the database lacks (for `/health/ready`). */
  pendingMigrations(): Promise<string[]> {
    return pendingMigrations(this.db);
  }

  /** Answers when the database answers (for `/health`). */
  async ping(): Promise<void> {
    await this.repos.settings.get('ping');
  }
}
