import { v7 as uuidv7 } from 'uuid';
import type { Clock } from '../../clock.js';
import { IllegalOperationError, KeyError, ValueError } from '../../domain/errors.js';
import * as access from '../../auth/access.js';
import type { Principal } from '../../auth/access.js';
import { hashToken, newApiKey } from '../../auth/tokens.js';
import type { Repositories, Store } from '../../store.js';
import type { ApiKeyRecord } from './api-keys.repository.js';
import type { ApiKeyCreate } from './api-keys.schemas.js';

/** API keys of service accounts (API.md 5.2). */
export class ApiKeysService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Creates a key; the only time the key itself is returned. */
  async create(principal: Principal, userId: string, input: ApiKeyCreate): Promise<ApiKeyRecord & { key: string }> {
    return this.store.transaction(async (repos) => {
      await this.managed(repos, principal, userId, true);
      const key = newApiKey();
      const now = this.clock();
      const record: ApiKeyRecord = {
        id: uuidv7(),
        user_id: userId,
        name: input.name,
        created: now.toISOString(),
        expires:
          input.expires_in === undefined ? null : new Date(now.getTime() + input.expires_in * 1000).toISOString(),
        last_used: null,
      };
      await repos.apiKeys.insert({ ...record, key_hash: hashToken(key) });
      return { ...record, key };
    });
  }

  async list(principal: Principal, userId: string): Promise<ApiKeyRecord[]> {
    await this.managed(this.store.repos, principal, userId);
    return this.store.repos.apiKeys.listForUser(userId);
  }

  /** Deletes a key; it and every session opened with it stop working at once. */
  async delete(principal: Principal, userId: string, apiKeyId: string): Promise<void> {
    await this.store.transaction(async (repos) => {
      await this.managed(repos, principal, userId);
      if (!(await repos.apiKeys.delete(userId, apiKeyId))) throw new KeyError(`API key ${apiKeyId} not found`);
    });
  }

  /** The service account if the caller manages its keys: 404 when it cannot see it, 403 when it may not. */
  private async managed(repos: Repositories, principal: Principal, userId: string, lock = false) {
    const aff = await access.loadAffiliations(repos.organizations, principal);
    const scope = access.userScope(principal, aff);
    // Locked when a key is added: a concurrent delete of the account waits, or has happened (404).
    const target = lock
      ? await repos.users.findByIdForUpdate(userId, scope)
      : await repos.users.findById(userId, scope);
    if (!target) throw new KeyError(`user ${userId} not found`);
    if (!access.canManageApiKeys(principal, aff, target)) {
      throw new IllegalOperationError(
        `only superusers and admins of its organization may manage the API keys of user ${target.username}`,
      );
    }
    if (!target.is_service_account) throw new ValueError('only service accounts have API keys');
    return target;
  }
}
