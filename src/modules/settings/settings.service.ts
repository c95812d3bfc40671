import type { Transactor, Tx } from '../../db/transactions.js';
import type { SettingsRepository } from './settings.repository.js';

/** Values Roster keeps for itself (the secret key, one-time markers); first writer wins. */
export class SettingsService {
  constructor(private readonly unit: Transactor<{ settings: SettingsRepository }>) {}

  /** Stores `value` unless `key` is set; answers the stored value. In the caller's transaction when given. */
  getOrInsert(key: string, value: string, tx?: Tx): Promise<string> {
    return this.unit.on(tx).settings.getOrInsert(key, value);
  }

  /** Resolves when the database answers (for `/health`). */
  async ping(): Promise<void> {
    await this.unit.repos.settings.get('ping');
  }
}
