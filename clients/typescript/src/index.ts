/**
 * A typed client of Roster's API. `api` is an openapi-fetch client generated
 * from the document the server publishes (`schema.d.ts`, by `npm run
 * generate:client` in the repository): every path, parameter, body and
 * answer is typed. The rest is the little that types alone do not give:
 * logging in (password or device login), following `Link` pages, and errors
 * as classes.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, paths } from './schema.js';
export type Schemas = components['schemas'];
export type UserRead = Schemas['UserRead'];
type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
export type AccessToken = Json<paths['/api/v1/auth/login']['post']['responses'][200]>;
export type DeviceAuthorization = Json<paths['/api/v1/auth/device_authorization']['post']['responses'][200]>;
export type EventRead = Schemas['EventRead'];
export type UsersQuery = NonNullable<paths['/api/v1/users']['get']['parameters']['query']>;

/** One issue of a 422 (pydantic's shape). */
export interface ValidationIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input?: unknown;
}

/** An error answer of the API: `detail` is `[name, message]` (a domain error) or the issues of a 422. */
export class RosterError extends Error {
  constructor(
    readonly status: number,
    /** The contract's error name: `KeyError`, `PreconditionFailed`, ... (`ValidationError` for a 422). */
    readonly errorName: string,
    message: string,
    readonly issues: ValidationIssue[] = [],
    /** `Retry-After` of a 429, in seconds. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'RosterError';
  }
}

/** A device login that ended without a token: denied, expired, or the device code refused. */
export class DeviceLoginError extends Error {
  constructor(
    readonly code: 'access_denied' | 'expired_token' | 'invalid_grant' | string,
    message: string,
  ) {
    super(message);
    this.name = 'DeviceLoginError';
  }
}

/** The typed error of an answer that is not a success. */
export function errorOf(response: Response, body: unknown): RosterError {
  const detail = (body as { detail?: unknown } | null)?.detail;
  const retry = response.headers.get('retry-after');
  const retryAfter = retry === null ? undefined : Number(retry);
  if (Array.isArray(detail) && detail.length === 2 && detail.every((d) => typeof d === 'string')) {
    return new RosterError(response.status, detail[0] as string, detail[1] as string, [], retryAfter);
  }
  if (Array.isArray(detail)) {
    const issues = detail as ValidationIssue[];
    const message = issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; ');
    return new RosterError(response.status, 'ValidationError', message, issues, retryAfter);
  }
  return new RosterError(response.status, 'HTTPError', `HTTP ${response.status}`, [], retryAfter);
}

/** The data of an openapi-fetch answer, or its error thrown as a `RosterError`. */
export async function ok<T>(pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok) throw errorOf(response, error);
  return data as T;
}

/** The `rel="next"` target of a `Link` header, if any. */
export function nextLink(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]*)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return match[1];
  }
  return undefined;
}

export interface RosterClientOptions {
  /** Where Roster is, e.g. `http://127.0.0.1:8080` (paths start with `/api/v1`). */
  baseUrl: string;
  /** An access token or API key to start with (`login` and `deviceLogin` set one). */
  token?: string;
  fetch?: typeof fetch;
}

export interface DeviceLoginOptions {
  clientId?: string;
  /** Told the code to show the person, and where they approve it. */
  onCode: (code: DeviceAuthorization) => void;
  signal?: AbortSignal;
  /** How to wait between polls (tests pass a faster clock). */
  sleep?: (seconds: number) => Promise<void>;
}

const wait = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

export class RosterClient {
  /** The generated client: `client.api.GET('/api/v1/users/{user_id}', { params: { path: { user_id } } })`. */
  readonly api: Client<paths>;
  private token: string | undefined;
  private readonly fetcher: typeof fetch;

  constructor(private readonly options: RosterClientOptions) {
    this.token = options.token;
    this.fetcher = options.fetch ?? globalThis.fetch;
    this.api = createClient<paths>({ baseUrl: options.baseUrl, fetch: this.fetcher });
    this.api.use({
      onRequest: ({ request }) => {
        if (this.token !== undefined && !request.headers.has('authorization'))
          request.headers.set('authorization', `Bearer ${this.token}`);
        return request;
      },
    });
  }

  /** The token requests are sent with. */
  get accessToken(): string | undefined {
    return this.token;
  }

  /** Logs in with a username (or email) and password; later requests use the token. */
  async login(username: string, password: string): Promise<AccessToken> {
    const token = await ok(this.api.POST('/api/v1/auth/login', { body: { username, password } }));
    this.token = token.access_token;
    return token;
  }

  /** Revokes the token in use. */
  async logout(): Promise<void> {
    await ok(this.api.POST('/api/v1/auth/logout'));
    this.token = undefined;
  }

  /**
   * Logs in the way command-line tools do (RFC 8628): starts a device login,
   * hands the code to `onCode`, and polls until a person approves it
   * (slowing down when told to). Throws `DeviceLoginError` when it is denied
   * or expires.
   */
  async deviceLogin(options: DeviceLoginOptions): Promise<AccessToken> {
    const sleep = options.sleep ?? wait;
    const start = await ok(
      this.api.POST('/api/v1/auth/device_authorization', {
        body: options.clientId === undefined ? {} : { client_id: options.clientId },
      }),
    );
    options.onCode(start);
    let interval = start.interval;
    for (;;) {
      if (options.signal?.aborted) throw new DeviceLoginError('aborted', 'the device login was abandoned');
      await sleep(interval);
      const { data, error, response } = await this.api.POST('/api/v1/auth/login', {
        body: { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: start.device_code },
      });
      if (response.ok && data) {
        this.token = data.access_token;
        return data;
      }
      const grantError = (error as { error?: string; error_description?: string } | undefined)?.error;
      if (response.status !== 400 || grantError === undefined) throw errorOf(response, error);
      if (grantError === 'authorization_pending') continue;
      if (grantError === 'slow_down') {
        interval += 5;
        continue;
      }
      throw new DeviceLoginError(grantError, (error as { error_description?: string }).error_description ?? grantError);
    }
  }

  /** Every user matching `query`, page after page (following `Link: rel="next"`), oldest first. */
  users(query: UsersQuery = {}): AsyncGenerator<UserRead> {
    return this.pages<UserRead>('/api/v1/users', query as Record<string, unknown>);
  }

  /** Every item of a list endpoint that pages with `Link` (users, events), following the links. */
  async *pages<T>(path: string, query: Record<string, unknown> = {}): AsyncGenerator<T> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
    let url: string | undefined = `${path}${search.size > 0 ? `?${search}` : ''}`;
    while (url !== undefined) {
      const response: Response = await this.fetcher(new URL(url, this.options.baseUrl), {
        headers: this.token === undefined ? {} : { authorization: `Bearer ${this.token}` },
      });
      const body: unknown = await response.json();
      if (!response.ok) throw errorOf(response, body);
      for (const item of body as T[]) yield item;
      url = nextLink(response.headers.get('link'));
    }
  }
}

export function createRosterClient(options: RosterClientOptions): RosterClient {
  return new RosterClient(options);
}
