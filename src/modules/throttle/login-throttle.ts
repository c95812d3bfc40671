/**
 * Failed-login rate limiting (API.md 3.3) per (login name as typed, client
 * address) and per client address. A fixed window per key: an attempt is
 * counted before the password is
 * checked (so parallel guesses cannot slip past the limit) and given back
 * when it succeeds. Past `max` attempts inside `windowSeconds` the key is
 * refused until its window ends. The counters live in the database, so every
 * instance enforces the same budget.
 */
import { addressGroup } from '../../auth/address.js';
import { sha256 } from '../../auth/tokens.js';
import type { Clock } from '../../clock.js';
import type { LoginFailuresRepository } from './login-failures.repository.js';

export interface ThrottleLimits {
  maxFailuresPerUsername: number;
  maxFailuresPerAddress: number;
  windowSeconds: number;
}

/** What one attempt is counted against. */
export interface AttemptKeys {
  /** The login name as typed (username or email); case-folded here. Absent for API-key logins. */
  name?: string;
  address: string;
}

const hashed = sha256;

/** The key of a name's counters at every address (what a superuser clears). */
function nameKey(name: string): string {
  return hashed(`n:${name.toLowerCase()}`);
}

function keysOf(attempt: AttemptKeys) {
  const address = addressGroup(attempt.address);
  return {
    address: hashed(`a:${address}`),
    // Per (name, address): failures from elsewhere never stop the name's owner at its own address.
    name: attempt.name === undefined ? undefined : hashed(`n:${attempt.name.toLowerCase()}|${address}`),
    nameKey: attempt.name === undefined ? undefined : nameKey(attempt.name),
  };
}

export class LoginThrottle {
  constructor(
    private readonly failures: LoginFailuresRepository,
    private readonly clock: Clock,
    private readonly limits: ThrottleLimits,
  ) {}

  /**
   * Counts an attempt; answers the seconds to wait when a limit is exceeded
   * (the attempt must then be refused), or 0 when it may proceed. The answer
   * depends only on the name as typed and the address, never on whether an
   * account has that name, nor on the account's other names.
   */
  async reserve(attempt: AttemptKeys): Promise<number> {
    const keys = keysOf(attempt);
    return this.count([
      { key: keys.address, max: this.limits.maxFailuresPerAddress },
      ...(keys.name ? [{ key: keys.name, max: this.limits.maxFailuresPerUsername, nameKey: keys.nameKey }] : []),
    ]);
  }

  /** A successful attempt: the name's failures at this address are forgiven and the address gets its attempt back. */
  async succeeded(attempt: AttemptKeys): Promise<void> {
    const keys = keysOf(attempt);
    const repo = this.failures;
    await repo.decrement(keys.address);
    if (keys.name) await repo.delete(keys.name);
  }

  /**
   * Counts an attempt of another kind of guess (a device login's user code)
   * against each of `counters`, each with its own limit in the same window;
   * answers the seconds to wait, or 0. `giveBack` returns it after a success.
   */
  async reserveEach(counters: { key: string; max: number }[]): Promise<number> {
    return this.count(counters.map(({ key, max }) => ({ key: hashed(`k:${key}`), max })));
  }

  async giveBack(keys: string[]): Promise<void> {
    for (const key of keys) await this.failures.decrement(hashed(`k:${key}`));
  }

  /** Clears the failed-login counters of these names at every address (an account's username and email). */
  async forgetNames(names: string[]): Promise<void> {
    await this.failures.deleteByNames(names.map(nameKey));
  }

  /** Counts one attempt against each counter (one window for all); the seconds to wait, or 0. */
  private async count(counters: { key: string; max: number; nameKey?: string | undefined }[]): Promise<number> {
    const now = this.clock();
    const nowIso = now.toISOString();
    const windowEnd = new Date(now.getTime() + this.limits.windowSeconds * 1000).toISOString();
    await this.failures.deleteEnded(nowIso);
    let wait = 0;
    for (const { key, max, nameKey } of counters) {
      const window = await this.failures.increment(key, nowIso, windowEnd, nameKey);
      if (window.failures > max) {
        wait = Math.max(wait, Math.ceil((Date.parse(window.resetsAt) - now.getTime()) / 1000), 1);
      }
    }
    return wait;
  }
}
