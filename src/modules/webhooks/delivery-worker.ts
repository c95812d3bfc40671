/**
 * Sends queued webhook deliveries (API.md 8). Every instance runs one: it
 * claims due deliveries for a lease (so no other instance sends them at the
 * same time), posts each with a Standard Webhooks signature, at most
 * `concurrency` at once and each cut at 10 s, then records the outcome.
 */
import { createHmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { EventRecord } from '../../domain/events.js';
import type { DeliveryObserver } from '../../observability/metrics.js';
import { addressAllowed, guardedLookup } from './destination.js';
import type { AttemptOutcome, DeliveryBatch, WebhooksService } from './webhooks.service.js';

/** A receiver has this long to answer with a 2xx. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Deliveries to one endpoint sent in one go (in order, on one kept-alive connection). */
const BATCH = 50;
/** A claimed batch is this instance's for this long (well beyond the timeout of each delivery). */
const LEASE_MS = 60_000 + BATCH * 1000;

export interface WorkerOptions {
  allowPrivate: boolean;
  /** Deliveries in flight at once, over all endpoints. */
  concurrency?: number;
  /** How often due deliveries are looked for when nothing wakes the worker. */
  pollMs?: number;
  observer?: DeliveryObserver;
  /** Told of failures of the worker itself (the database unavailable). */
  onError?: (error: unknown) => void;
}

/** `v1,` + base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}")), the secret being the bytes after `whsec_`. */
export function signature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export class DeliveryWorker {
  private running = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly aborts = new Set<AbortController>();
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly concurrency: number;
  private readonly pollMs: number;
  // Connections are kept alive between deliveries to the same receiver.
  private readonly agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  constructor(
    private readonly webhooks: WebhooksService,
    private readonly options: WorkerOptions,
  ) {
    this.concurrency = options.concurrency ?? 8;
    this.pollMs = options.pollMs ?? 1000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Looks for due deliveries now (events were just committed). */
  wake(): void {
    this.wakeUp?.();
  }

  /** Stops claiming; deliveries in flight are cut and left to be retried (by this or another instance). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    for (const abort of this.aborts) abort.abort();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const free = this.concurrency - this.inFlight.size;
      if (free > 0) {
        try {
          const batches = await this.webhooks.claim(free, LEASE_MS, BATCH);
          // Stopped while claiming: the claimed deliveries go back at once, unsent.
          if (!this.running) await this.webhooks.release(batches.flatMap((b) => b.jobs.map((j) => j.delivery)));
          else for (const batch of batches) this.track(this.deliver(batch));
        } catch (error) {
          this.options.onError?.(error);
        }
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.pollMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wakeUp = done;
      });
      this.wakeUp = undefined;
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => {
      this.inFlight.delete(work);
      this.wake();
    });
  }

  /**
   * Sends a batch in order, one after the other; the first one that fails is
   * recorded (and retried later), the ones behind it go back unsent.
   */
  private async deliver(batch: DeliveryBatch): Promise<void> {
    const abort = new AbortController();
    this.aborts.add(abort);
    const delivered: DeliveryBatch['jobs'][number]['delivery'][] = [];
    let code = 200;
    try {
      for (let i = 0; i < batch.jobs.length; i++) {
        const { delivery, event } = batch.jobs[i]!;
        const outcome = await this.post(batch.url, batch.secret, event, abort.signal);
        if (!this.running && abort.signal.aborted) {
          await this.webhooks.release(batch.jobs.slice(i).map((j) => j.delivery));
          return;
        }
        this.options.observer?.deliveryAttempted(
          outcome.kind === 'delivered' ? 'success' : outcome.kind === 'gone' ? 'gone' : 'failure',
        );
        if (outcome.kind === 'delivered') {
          delivered.push(delivery);
          code = outcome.responseCode;
          continue;
        }
        await this.webhooks.finish(delivery, outcome);
        await this.webhooks.release(batch.jobs.slice(i + 1).map((j) => j.delivery));
        return;
      }
    } catch (error) {
      this.options.onError?.(error);
    } finally {
      await this.webhooks.succeeded(delivered, code).catch((error) => this.options.onError?.(error));
      this.aborts.delete(abort);
    }
  }

  /** One attempt: the event as the body, signed; any answer but a 2xx (or a 410) is a failure. */
  private post(url: string, secret: string, event: EventRecord, signal: AbortSignal): Promise<AttemptOutcome> {
    const target = new URL(url);
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && !addressAllowed(host, this.options.allowPrivate)) {
      return Promise.resolve({ kind: 'failed', responseCode: null, error: `refused destination ${host}` });
    }
    const body = JSON.stringify(event);
    const timestamp = Math.floor(Date.now() / 1000);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<AttemptOutcome>((resolve) => {
      let settled = false;
      const settle = (outcome: AttemptOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const request = send(
        target,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Roster-Webhooks/1',
            'webhook-id': event.id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signature(secret, event.id, timestamp, body),
          },
          lookup: guardedLookup(this.options.allowPrivate) as never,
          agent: target.protocol === 'https:' ? this.agents.https : this.agents.http,
          signal,
        },
        (response) => {
          const status = response.statusCode ?? 0;
          // The answer's body is not needed: read and drop it so the connection can close.
          response.resume();
          response.on('end', () => {
            if (status >= 200 && status < 300) settle({ kind: 'delivered', responseCode: status });
            else if (status === 410) settle({ kind: 'gone', responseCode: 410 });
            else settle({ kind: 'failed', responseCode: status, error: `the receiver answered ${status}` });
          });
          response.on('error', (error) => settle({ kind: 'failed', responseCode: status, error: error.message }));
        },
      );
      const timer = setTimeout(() => {
        request.destroy();
        settle({ kind: 'failed', responseCode: null, error: 'no answer within 10 s' });
      }, DELIVERY_TIMEOUT_MS);
      request.on('error', (error: NodeJS.ErrnoException) =>
        settle({ kind: 'failed', responseCode: null, error: error.code ?? error.message }),
      );
      request.end(body);
    });
  }
}
