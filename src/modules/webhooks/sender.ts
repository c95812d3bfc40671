/**
 * Sends webhook deliveries over HTTP (API.md 8), on a thread of its own: a
 * delivery waits for its receiver's answer before the next one to the same
 * endpoint goes (event order), and on the thread that serves requests that
 * wait would be a turn of a busy event loop for every delivery. The delivery
 * worker (`delivery-worker.ts`) claims and records deliveries; this thread
 * only posts them, signed, each cut at 10 s.
 */
import { createHmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { isMainThread, parentPort, type Worker, workerData } from 'node:worker_threads';
import { startModuleThread } from '../../db/threads.js';
import type { EventRecord } from '../../domain/events.js';
import { addressAllowed, guardedLookup } from './destination.js';

/** A receiver has this long to answer with a 2xx. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** What an attempt came to. */
export type AttemptOutcome =
  | { kind: 'delivered'; responseCode: number }
  | { kind: 'gone'; responseCode: 410 }
  | { kind: 'failed'; responseCode: number | null; error: string };

/** Events to one endpoint, to be sent in order. */
export interface SendRequest {
  url: string;
  secret: string;
  events: EventRecord[];
  /**
   * No delivery starts that could still be running at this time (ms since
   * the epoch): the batch's lease. The ones not started come back unsent.
   */
  deadline: number;
}

/**
 * The outcomes of the attempts made, in order: all delivered, or ending at
 * the first that was not (the ones behind it were not sent). `aborted`: the
 * sender was stopped, and the events after the outcomes were not (all) sent.
 */
export interface SendResult {
  outcomes: AttemptOutcome[];
  aborted: boolean;
}

/** `v1,` + base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}")), the secret being the bytes after `whsec_`. */
export function signature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

type ToThread = { type: 'send'; id: number; request: SendRequest } | { type: 'abort' };
type FromThread = { id: number; result: SendResult };

/** The main thread's side: one sender thread, started when the first batch goes. */
export class SenderThread {
  private thread: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, (result: SendResult) => void>();

  constructor(
    private readonly allowPrivate: boolean,
    /** Told when the thread dies (its batches come back unsent, to be claimed again). */
    private readonly onError?: (error: unknown) => void,
  ) {}

  send(request: SendRequest): Promise<SendResult> {
    const thread = this.started();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      thread.postMessage({ type: 'send', id, request } satisfies ToThread);
    });
  }

  /** Cuts what is in flight (its batches answer as aborted), then ends the thread. */
  async stop(): Promise<void> {
    const thread = this.thread;
    if (!thread) return;
    thread.postMessage({ type: 'abort' } satisfies ToThread);
    while (this.waiting.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    this.thread = undefined;
    await thread.terminate();
  }

  private started(): Worker {
    if (this.thread) return this.thread;
    const thread = startModuleThread(import.meta.url, { role: SENDER_ROLE, allowPrivate: this.allowPrivate });
    thread.on('message', (message: FromThread) => {
      const resolve = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      resolve?.(message.result);
    });
    // A thread that dies (it should not) fails what it held: those deliveries are retried later.
    const fail = (error: unknown) => {
      if (this.thread === thread) {
        this.thread = undefined;
        this.onError?.(error);
      }
      for (const resolve of this.waiting.values()) resolve({ outcomes: [], aborted: true });
      this.waiting.clear();
    };
    thread.on('error', fail);
    thread.on('exit', (code) => fail(new Error(`the webhook sender thread exited with code ${code}`)));
    thread.unref();
    this.thread = thread;
    return thread;
  }
}

const SENDER_ROLE = 'roster-webhook-sender';

/** The thread's side: posts the events of each batch one after the other. */
class Sender {
  private readonly aborts = new Set<AbortController>();
  // Connections are kept alive between deliveries to the same receiver.
  private readonly agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  constructor(private readonly allowPrivate: boolean) {}

  abortAll(): void {
    for (const abort of this.aborts) abort.abort();
  }

  async sendBatch(request: SendRequest): Promise<SendResult> {
    const abort = new AbortController();
    this.aborts.add(abort);
    const outcomes: AttemptOutcome[] = [];
    try {
      for (const event of request.events) {
        // Past this point another instance could take the lease over: the rest goes back unsent.
        if (Date.now() + DELIVERY_TIMEOUT_MS >= request.deadline) return { outcomes, aborted: true };
        const outcome = await this.post(request.url, request.secret, event, abort.signal);
        if (abort.signal.aborted) return { outcomes, aborted: true };
        outcomes.push(outcome);
        if (outcome.kind !== 'delivered') break;
      }
      return { outcomes, aborted: false };
    } finally {
      this.aborts.delete(abort);
    }
  }

  /** One attempt: the event as the body, signed; any answer but a 2xx (or a 410) is a failure. */
  private post(url: string, secret: string, event: EventRecord, signal: AbortSignal): Promise<AttemptOutcome> {
    const target = new URL(url);
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && !addressAllowed(host, this.allowPrivate)) {
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
          lookup: guardedLookup(this.allowPrivate) as never,
          agent: target.protocol === 'https:' ? this.agents.https : this.agents.http,
          signal,
        },
        (response) => {
          const status = response.statusCode ?? 0;
          // The answer's body is not needed: read and drop it so the connection can be reused.
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

if (!isMainThread && parentPort && (workerData as { role?: string } | null)?.role === SENDER_ROLE) {
  const port = parentPort;
  const sender = new Sender((workerData as { allowPrivate: boolean }).allowPrivate);
  port.on('message', (message: ToThread) => {
    if (message.type === 'abort') {
      sender.abortAll();
      return;
    }
    // Whatever goes wrong with one batch (a URL that no longer parses) fails that batch only.
    void sender
      .sendBatch(message.request)
      .catch(
        (error: unknown): SendResult => ({
          outcomes: [{ kind: 'failed', responseCode: null, error: `cannot send: ${(error as Error).message}` }],
          aborted: false,
        }),
      )
      .then((result) => port.postMessage({ id: message.id, result } satisfies FromThread));
  });
}
