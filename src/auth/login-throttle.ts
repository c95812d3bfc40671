/**
 * Failed-login rate limiting per username and per client address (API.md 3).
 * A fixed window per key: after `max` failures inside `windowSeconds` the key
 * is refused until the window ends. Kept in the process's memory: each
 * instance counts on its own (see docs/decisions.md).
 */
export interface ThrottleLimits {
  maxFailuresPerUsername: number;
  maxFailuresPerAddress: number;
  windowSeconds: number;
}

interface Window {
  failures: number;
  resetsAt: number;
}

/** Keys are dropped when their window ends; this cap bounds memory under a flood of distinct keys. */
const MAX_KEYS = 100_000;

export class LoginThrottle {
  readonly #windows = new Map<string, Window>();

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly now: () => number,
  ) {}

  /** Seconds until the caller may try again, or 0 when it may try now. */
  retryAfter(username: string | undefined, address: string): number {
    const byAddress = this.#blockedFor(`a:${address}`, this.limits.maxFailuresPerAddress);
    const byUsername = username === undefined ? 0 : this.#blockedFor(`u:${username.toLowerCase()}`, this.limits.maxFailuresPerUsername);
    return Math.max(byAddress, byUsername);
  }

  recordFailure(username: string | undefined, address: string): void {
    this.#count(`a:${address}`);
    if (username !== undefined) this.#count(`u:${username.toLowerCase()}`);
  }

  /** A successful login clears the username's failures (the address keeps its count). */
  recordSuccess(username: string | undefined): void {
    if (username !== undefined) this.#windows.delete(`u:${username.toLowerCase()}`);
  }

  #blockedFor(key: string, max: number): number {
    const window = this.#live(key);
    if (!window || window.failures < max) return 0;
    return Math.max(1, Math.ceil((window.resetsAt - this.now()) / 1000));
  }

  #count(key: string): void {
    const window = this.#live(key);
    if (window) {
      window.failures++;
      return;
    }
    if (this.#windows.size >= MAX_KEYS) this.#prune();
    this.#windows.set(key, { failures: 1, resetsAt: this.now() + this.limits.windowSeconds * 1000 });
  }

  #live(key: string): Window | undefined {
    const window = this.#windows.get(key);
    if (window && window.resetsAt <= this.now()) {
      this.#windows.delete(key);
      return undefined;
    }
    return window;
  }

  #prune(): void {
    const now = this.now();
    for (const [key, window] of this.#windows) if (window.resetsAt <= now) this.#windows.delete(key);
    // Still full: forget the oldest keys rather than grow without bound.
    for (const key of this.#windows.keys()) {
      if (this.#windows.size < MAX_KEYS) break;
      this.#windows.delete(key);
    }
  }
}
