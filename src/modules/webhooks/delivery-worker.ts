/**
 * Sends webhook deliveries (API.md 8). Every instance runs one: at each look
 * it queues the events committed since each webhook's place in the outbox
 * (the events table), claims due deliveries for a lease (so no other
 * instance sends them at the same time), has the sender thread post them
 * (`sender.ts`), at most `concurrency` webhooks at once and each delivery
 * cut at 10 s, then records the outcomes.
 */
import type { DeliveryObserver } from '../../observability/metrics.js';
import { SenderThread } from './sender.js';
import type { DeliveryBatch, WebhooksService } from './webhooks.service.js';

/** Deliveries to one endpoint sent in one go (in order, on one kept-alive connection). */
const BATCH = 50;
/**
 * A wake-up waits this long before it looks, so that events committed close
 * together are queued and claimed in one go (two writes per batch, not per
 * delivery); deliveries wait at most this much longer for it.
 */
const LINGER_MS = 20;
/**
 * A claimed batch is this instance's for this long. The sender starts no delivery that could
 * still run when it ends (the rest of the batch goes back unsent), so no other instance takes a
 * delivery over while this one sends it.
 */
const LEASE_MS = 60_000 + BATCH * 1000;

export interface WorkerOptions {
  allowPrivate: boolean;
  /** Webhooks whose deliveries are in flight at once. */
  concurrency?: number;
  /** How often due deliveries are looked for when nothing wakes the worker. */
  pollMs?: number;
  /** How long a wake-up waits for more deliveries before it claims (ms). */
  lingerMs?: number;
  observer?: DeliveryObserver;
  /** Told of failures of the worker itself (the database unavailable). */
  onError?: (error: unknown) => void;
}

export class DeliveryWorker {
  private running = false;
  /** The batch being sent to each webhook (one at a time per webhook: its deliveries go in order). */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Set by `wake` while the worker is claiming: it then looks again before it sleeps. */
  private woken = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly lingerMs: number;
  private readonly sender: SenderThread;

  constructor(
    private readonly webhooks: WebhooksService,
    private readonly options: WorkerOptions,
  ) {
    this.concurrency = options.concurrency ?? 8;
    this.pollMs = options.pollMs ?? 1000;
    this.lingerMs = options.lingerMs ?? LINGER_MS;
    this.sender = new SenderThread(options.allowPrivate, options.onError);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Looks for due deliveries now (events were just committed). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops claiming; deliveries in flight are cut and left to be retried (by this or another instance). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await this.sender.stop();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      // With no slot free, the look still queues new events (and claims nothing).
      const free = Math.max(0, this.concurrency - this.inFlight.size);
      try {
        const busy = new Set(this.inFlight.keys());
        const batches = await this.webhooks.claim(free, LEASE_MS, BATCH, busy);
        // Stopped while claiming: the claimed deliveries go back at once, unsent.
        if (!this.running) await this.webhooks.release(batches.flatMap((b) => b.jobs.map((j) => j.delivery)));
        else for (const batch of batches) this.track(batch.webhookId, this.deliver(batch));
      } catch (error) {
        this.options.onError?.(error);
      }
      if (!this.running) break;
      // Woken while looking (a commit with events, a batch finished): look again soon.
      if (this.woken) {
        if (this.lingerMs > 0) await new Promise((resolve) => setTimeout(resolve, this.lingerMs));
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.pollMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wakeUp = done;
      });
      this.wakeUp = undefined;
      if (this.running && this.woken && this.lingerMs > 0)
        await new Promise((resolve) => setTimeout(resolve, this.lingerMs));
    }
  }

  private track(webhookId: string, work: Promise<void>): void {
    this.inFlight.set(webhookId, work);
    void work.finally(() => {
      this.inFlight.delete(webhookId);
      this.wake();
    });
  }

  /**
   * Sends a batch in order; the first delivery that fails is recorded (and
   * retried later), the ones behind it go back unsent, as do those a stop cut.
   */
  private async deliver(batch: DeliveryBatch): Promise<void> {
    const deliveries = batch.jobs.map((job) => job.delivery);
    const delivered: DeliveryBatch['jobs'][number]['delivery'][] = [];
    let code = 200;
    try {
      const { outcomes, aborted } = await this.sender.send({
        url: batch.url,
        secret: batch.secret,
        events: batch.jobs.map((job) => job.event),
        // Leave a margin: the successes are recorded after the last one.
        deadline: Date.now() + LEASE_MS - 10_000,
      });
      for (const [i, outcome] of outcomes.entries()) {
        this.options.observer?.deliveryAttempted(
          outcome.kind === 'delivered' ? 'success' : outcome.kind === 'gone' ? 'gone' : 'failure',
        );
        if (outcome.kind === 'delivered') {
          delivered.push(deliveries[i]!);
          code = outcome.responseCode;
          continue;
        }
        await this.webhooks.finish(deliveries[i]!, outcome);
        await this.webhooks.release(deliveries.slice(i + 1));
        return;
      }
      if (aborted) await this.webhooks.release(deliveries.slice(outcomes.length));
    } catch (error) {
      this.options.onError?.(error);
    } finally {
      await this.webhooks.succeeded(delivered, code).catch((error) => this.options.onError?.(error));
    }
  }
}
