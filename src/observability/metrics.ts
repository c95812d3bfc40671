/**
 * Roster's Prometheus metrics (API.md 9): requests by route template, their
 * durations, logins by method and result, webhook deliveries, and the
 * Node.js process metrics. Each app has its own registry for its counters;
 * the process metrics are the process's, collected once.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { passwordHashesComputed } from '../auth/passwords.js';

/** How a login was attempted. */
export type LoginMethod = 'password' | 'api_key' | 'sso' | 'device_code';
/** How it ended: a token, a refusal (401), or the rate limit (429). */
export type LoginResult = 'success' | 'failure' | 'throttled';

/** What the authentication services report; `Metrics` counts it. */
export interface LoginObserver {
  loginAttempted(method: LoginMethod, result: LoginResult): void;
}

/** How a webhook delivery attempt ended: a 2xx, a failure to retry (or give up on), a 410 (webhook disabled). */
export type DeliveryResult = 'success' | 'failure' | 'gone';

/** What the delivery worker reports; `Metrics` counts it. */
export interface DeliveryObserver {
  deliveryAttempted(result: DeliveryResult): void;
}

let processRegistry: Registry | undefined;

function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
    let reported = 0;
    new Counter({
      name: 'roster_password_hashes_total',
      help: 'Password hashes computed by this process (argon2id: the costly work that permission checks and rate limits guard)',
      registers: [processRegistry],
      collect() {
        const now = passwordHashesComputed();
        this.inc(now - reported);
        reported = now;
      },
    });
  }
  return processRegistry;
}

export class Metrics implements LoginObserver, DeliveryObserver {
  constructor() {
    // The process metrics count from their creation (CPU time is a difference): created with the first app.
    processMetrics();
  }

  readonly #registry = new Registry();
  readonly #requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.#registry],
  });
  readonly #durations = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to sending its answer, by route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.#registry],
  });
  readonly #logins = new Counter({
    name: 'roster_logins_total',
    help: 'Login attempts by method (password, api_key, sso) and result (success, failure, throttled)',
    labelNames: ['method', 'result'] as const,
    registers: [this.#registry],
  });
  readonly #deliveries = new Counter({
    name: 'roster_webhook_deliveries_total',
    help: 'Webhook delivery attempts by result (success, failure, gone)',
    labelNames: ['result'] as const,
    registers: [this.#registry],
  });

  /** One answered request; `route` is the route's template (`/api/v1/users/:user_id`), never the raw URL. */
  requestAnswered(method: string, route: string, status: number, seconds: number): void {
    this.#requests.inc({ method, route, status: String(status) });
    this.#durations.observe({ method, route }, seconds);
  }

  loginAttempted(method: LoginMethod, result: LoginResult): void {
    this.#logins.inc({ method, result });
  }

  deliveryAttempted(result: DeliveryResult): void {
    this.#deliveries.inc({ result });
  }

  readonly contentType = this.#registry.contentType;

  /** The Prometheus text exposition of this app's metrics and the process's. */
  async render(): Promise<string> {
    return Registry.merge([processMetrics(), this.#registry]).metrics();
  }
}
