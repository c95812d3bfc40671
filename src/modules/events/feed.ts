/**
 * Wakes followers of the feed (long polls) soon after a commit that wrote
 * events: at once for commits of this process, and through the database's
 * `watch` for commits of other instances or processes.
 */
export class EventFeed {
  private waiters = new Set<() => void>();
  /** Moves at every wake-up. */
  generation = 0;
  private readonly listeners: (() => void)[] = [];
  private stopWatching: (() => Promise<void>) | undefined;

  /** Starts watching the database for other instances' commits. */
  async watch(watch: (onChange: () => void) => Promise<() => Promise<void>>): Promise<void> {
    this.stopWatching = await watch(() => this.wake());
  }

  /** Calls `listener` at every wake-up (the delivery worker looks for new deliveries). */
  onWake(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** A commit with events happened: every waiter re-reads. */
  wake(): void {
    this.generation += 1;
    for (const listener of this.listeners) listener();
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const resolve of waiters) resolve();
  }

  /** Resolves at the next wake-up after `generation` (at once if one came since), or after `ms`. */
  next(ms: number, generation = this.generation): Promise<void> {
    if (generation !== this.generation) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  async close(): Promise<void> {
    this.wake();
    await this.stopWatching?.();
  }
}
