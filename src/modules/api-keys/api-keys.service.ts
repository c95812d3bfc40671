import { newId } from '../../domain/ids.js';
import type { Clock } from '../../clock.js';
import { KeyError, ValueError } from '../../domain/errors.js';
import * as access from '../../auth/access.js';
import { eventBy, type AccessService, type Principal } from '../../auth/access.js';
import { hashToken, newApiKey } from '../../auth/tokens.js';
import type { Transactor, Tx } from '../../db/transactions.js';
import type { Changes, EventDraft } from '../../domain/events.js';
import type { EventsService } from '../events/events.service.js';
import type { UsersService } from '../users/users.service.js';
import type { ApiKeyRecord, ApiKeysRepository, LiveApiKey } from './api-keys.repository.js';
import type { ApiKeyCreate } from './api-keys.schemas.js';

/** `last_used` of an API key is written at most this often. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** API keys of service accounts (API.md 5.2). */
export class ApiKeysService {
  constructor(
    private readonly unit: Transactor<{ apiKeys: ApiKeysRepository }>,
    private readonly clock: Clock,
    private readonly access: AccessService,
    private readonly users: UsersService,
    private readonly events: EventsService,
  ) {}

  /** Creates a key; the only time the key itself is returned. */
  async create(principal: Principal, userId: string, input: ApiKeyCreate): Promise<ApiKeyRecord & { key: string }> {
    return this.unit.run(async ({ apiKeys }, tx) => {
      const owner = await this.managed(tx, principal, userId, true);
      const key = newApiKey();
      const now = this.clock();
      const record: ApiKeyRecord = {
        id: newId(),
        user_id: userId,
        name: input.name,
        created: now.toISOString(),
        expires:
          input.expires_in === undefined ? null : new Date(now.getTime() + input.expires_in * 1000).toISOString(),
        last_used: null,
      };
      await apiKeys.insert({ ...record, key_hash: hashToken(key) });
      this.events.record(tx, keyEvent('api_key.created', principal, owner.organization_id, record, true));
      return { ...record, key };
    });
  }

  async list(principal: Principal, userId: string): Promise<ApiKeyRecord[]> {
    await this.managed(undefined, principal, userId);
    return this.unit.repos.apiKeys.listForUser(userId);
  }

  /** Deletes a key; it and every session opened with it stop working at once. */
  async delete(principal: Principal, userId: string, apiKeyId: string): Promise<void> {
    await this.unit.run(async ({ apiKeys }, tx) => {
      const owner = await this.managed(tx, principal, userId);
      const key = (await apiKeys.listForUser(userId)).find((k) => k.id === apiKeyId);
      if (!key || !(await apiKeys.delete(userId, apiKeyId))) throw new KeyError(`API key ${apiKeyId} not found`);
      this.events.record(tx, keyEvent('api_key.deleted', principal, owner.organization_id, key, false));
    });
  }

  /**
   * The live key `key` names, of an active service account, its use recorded
   * (at most once a minute); undefined for anything else.
   */
  async authenticate(key: string): Promise<LiveApiKey | undefined> {
    const now = this.clock();
    const { apiKeys } = this.unit.repos;
    const found = await apiKeys.findLive(hashToken(key), now.toISOString());
    if (!found?.user.is_active || !found.user.is_service_account) return undefined;
    const notSince = new Date(now.getTime() - LAST_USED_RESOLUTION_MS).toISOString();
    await apiKeys.touch(found.key.id, now.toISOString(), notSince);
    return found;
  }

  /** The service account if the caller manages its keys: 404 when it cannot see it, 403 when it may not. */
  private async managed(tx: Tx | undefined, principal: Principal, userId: string, lock = false) {
    // Locked when a key is added: a concurrent delete of the account waits, or has happened (404).
    const { user: target, aff } = await this.users.visibleWith(principal, userId, { ...(tx ? { tx } : {}), lock });
    this.access.require(
      access.canManageApiKeys(principal, aff, target),
      `only superusers and admins of its organization may manage the API keys of user ${target.username}`,
    );
    if (!target.is_service_account) throw new ValueError('only service accounts have API keys');
    return target;
  }
}

/** An event about a key: its name and owner, never the key or its hash. */
function keyEvent(
  type: EventDraft['type'],
  principal: Principal,
  organizationId: string | null,
  key: ApiKeyRecord,
  created: boolean,
): EventDraft {
  const fields = { name: key.name, user_id: key.user_id, expires: key.expires };
  const changes: Changes = Object.fromEntries(
    Object.entries(fields).map(([field, value]) => [field, created ? [null, value] : [value, null]]),
  );
  return eventBy(principal, type, { type: 'api_key', id: key.id }, organizationId, changes);
}
