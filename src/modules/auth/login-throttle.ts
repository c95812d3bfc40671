/**
 * Failed-login rate limiting per account and per client address (API.md 3).
 * A fixed window per key: an attempt is counted before the password is
 * checked (so parallel guesses cannot slip past the limit) and given back
 * when it succeeds. Past `max` attempts inside `windowSeconds` the key is
 * refused until its window ends. The counters live in the database, so every
 * instance enforces the same budget.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Store } from '../../store.js';

export interface ThrottleLimits {
  maxFailuresPerUsername: number;
  maxFailuresPerAddress: number;
  windowSeconds: number;
}

/** What one attempt is counted against. */
export interface AttemptKeys {
  /** The account's id when the login names an existing account, else the name as typed (lower-cased). */
  account?: { userId: string } | { name: string };
  address: string;
}

function hashed(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function keysOf(attempt: AttemptKeys): { address: string; account: string | undefined } {
  const account = attempt.account;
  return {
    address: hashed(`a:${attempt.address}`),
    account:
      account === undefined ? undefined : hashed('userId' in account ? `id:${account.userId}` : `u:${account.name.toLowerCase()}`),
  };
}

export class LoginThrottle {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly limits: ThrottleLimits,
  ) {}

  /**
   * Counts an attempt; answers the seconds to wait when a limit is exceeded
   * (the attempt must then be refused), or 0 when it may proceed.
   */
  async reserve(attempt: AttemptKeys): Promise<number> {
    const now = this.clock();
    const nowIso = now.toISOString();
    const windowEnd = new Date(now.getTime() + this.limits.windowSeconds * 1000).toISOString();
    const repo = this.store.repos.loginFailures;
    const keys = keysOf(attempt);
    await repo.deleteEnded(nowIso);
    let wait = 0;
    const count = async (key: string, max: number) => {
      const window = await repo.increment(key, nowIso, windowEnd);
      if (window.failures > max) {
        wait = Math.max(wait, Math.ceil((Date.parse(window.resetsAt) - now.getTime()) / 1000), 1);
      }
    };
    await count(keys.address, this.limits.maxFailuresPerAddress);
    if (keys.account) await count(keys.account, this.limits.maxFailuresPerUsername);
    return wait;
  }

  /** Clears the failed-login counter of an account (`roster users unlock`). */
  async forgetAccount(userId: string): Promise<void> {
    const keys = keysOf({ account: { userId }, address: '' });
    await this.store.repos.loginFailures.delete(keys.account!);
  }

  /** A successful attempt: the account's failures are forgiven and the address gets its attempt back. */
  async succeeded(attempt: AttemptKeys): Promise<void> {
    const keys = keysOf(attempt);
    const repo = this.store.repos.loginFailures;
    await repo.decrement(keys.address);
    if (keys.account) await repo.delete(keys.account);
  }
}
