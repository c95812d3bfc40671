import { newId } from '../../domain/ids.js';
import type { Clock } from '../../clock.js';
import type { Transactor, Tx } from '../../db/transactions.js';
import type { LiveSession, SessionsRepository } from './sessions.repository.js';

/**
 * Sessions (API.md 3): opened by a login, bound to the account's credential
 * version, revoked by logout, a password change or a deactivation.
 */
export class SessionsService {
  constructor(
    private readonly unit: Transactor<{ sessions: SessionsRepository }>,
    private readonly clock: Clock,
  ) {}

  /** Opens a session for `tokenHash` (its expired siblings are swept on the way). */
  async open(
    values: {
      tokenHash: string;
      userId: string;
      credentialVersion: number;
      expires: string;
      apiKeyId: string | null;
    },
    tx?: Tx,
  ): Promise<void> {
    const now = this.now();
    const { sessions } = this.unit.on(tx);
    await sessions.deleteExpiredForUser(values.userId, now);
    await sessions.insert({
      id: newId(),
      token_hash: values.tokenHash,
      user_id: values.userId,
      credential_version: values.credentialVersion,
      created: now,
      expires: values.expires,
      api_key_id: values.apiKeyId,
    });
  }

  /** The live session of a token hash, with its account. */
  findLive(tokenHash: string): Promise<LiveSession | undefined> {
    return this.unit.repos.sessions.findLive(tokenHash, this.now());
  }

  async close(sessionId: string, tx?: Tx): Promise<void> {
    await this.unit.on(tx).sessions.delete(sessionId);
  }

  /**
   * Revokes every session of an account in the caller's transaction; `keep`
   * (the session that changed its own password) lives on, rebound to the
   * account's new credential version.
   */
  async revokeAll(userId: string, tx: Tx, keep?: { sessionId: string; credentialVersion: number }): Promise<void> {
    const { sessions } = this.unit.on(tx);
    await sessions.deleteForUser(userId, keep?.sessionId);
    if (keep) await sessions.rebind(keep.sessionId, keep.credentialVersion);
  }

  /** Live sessions of an account (what deleting it would end). */
  countLive(userId: string, tx?: Tx): Promise<number> {
    return this.unit.on(tx).sessions.countLiveForUser(userId, this.now());
  }

  private now(): string {
    return this.clock().toISOString();
  }
}
