/**
 * Failed-login rate limiting per username and per client address (API.md 3).
 * A fixed window per key: after `max` failures inside `windowSeconds` the key
 * is refused until the window ends. The counters live in the database, so
 * every instance enforces the same budget.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Store } from '../../store.js';

export interface ThrottleLimits {
  maxFailuresPerUsername: number;
  maxFailuresPerAddress: number;
  windowSeconds: number;
}

function key(kind: 'u' | 'a', value: string): string {
  return createHash('sha256').update(`${kind}:${value}`).digest('base64url');
}

export class LoginThrottle {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly limits: ThrottleLimits,
  ) {}

  /** Seconds until the caller may try again, or 0 when it may try now. */
  async retryAfter(username: string | undefined, address: string): Promise<number> {
    const now = this.clock();
    const addressKey = key('a', address);
    const usernameKey = username === undefined ? undefined : key('u', username.toLowerCase());
    const windows = await this.store.repos.loginFailures.findLive(
      usernameKey ? [addressKey, usernameKey] : [addressKey],
      now.toISOString(),
    );
    let wait = 0;
    const check = (k: string | undefined, max: number) => {
      const window = k === undefined ? undefined : windows.get(k);
      if (window && window.failures >= max) {
        wait = Math.max(wait, Math.ceil((Date.parse(window.resetsAt) - now.getTime()) / 1000), 1);
      }
    };
    check(addressKey, this.limits.maxFailuresPerAddress);
    check(usernameKey, this.limits.maxFailuresPerUsername);
    return wait;
  }

  async recordFailure(username: string | undefined, address: string): Promise<void> {
    const now = this.clock();
    const windowEnd = new Date(now.getTime() + this.limits.windowSeconds * 1000).toISOString();
    const repo = this.store.repos.loginFailures;
    await repo.deleteEnded(now.toISOString());
    await repo.increment(key('a', address), now.toISOString(), windowEnd);
    if (username !== undefined) await repo.increment(key('u', username.toLowerCase()), now.toISOString(), windowEnd);
  }

  /** A successful login clears its username's failures (the address keeps its count). */
  async recordSuccess(username: string | undefined): Promise<void> {
    if (username !== undefined) await this.store.repos.loginFailures.delete(key('u', username.toLowerCase()));
  }
}
