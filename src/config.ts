import { existsSync } from 'node:fs';
import { passwordWeakness } from './auth/password-policy.js';

/** Roster's settings, parsed and validated once from the environment (API.md section 6). */
export interface Config {
  databaseUrl: string;
  host: string;
  port: number;
  /** Unset means: generate one and keep it in the database. */
  secretKey: string | undefined;
  tokenTtlSeconds: number;
  adminUsername: string;
  /** Unset means: generate one at bootstrap and print it once. */
  adminPassword: string | undefined;
  logLevel: string;
  bodyLimitBytes: number;
  databasePoolSize: number;
  /** Fastify's `trustProxy`: false, a hop count, or the proxies' addresses / CIDR ranges. */
  trustProxy: boolean | number | string[];
  /** Apply pending migrations at startup (otherwise `npm run migrate` does, and startup checks). */
  migrateOnStart: boolean;
  /** ROSTER_PUBLIC_URL without a trailing slash: the base of absolute URLs (API.md 1.2); unset: relative URLs. */
  publicUrl: string | undefined;
  /** Single sign-on with an OpenID Connect provider; undefined when not configured. */
  oidc: OidcConfig | undefined;
  /** Bearer token `/metrics` requires; unset: `/metrics` is open. */
  metricsToken: string | undefined;
  /** Seconds a SIGTERM / SIGINT waits for requests in flight before closing connections. */
  shutdownTimeoutSeconds: number;
  /** Seconds a client has to send a whole request (headers and body). */
  requestTimeoutSeconds: number;
  /** Origins allowed by CORS; empty: CORS is off. */
  corsOrigins: string[];
  /** Days audit events are kept (API.md 7). */
  eventsRetentionDays: number;
  webhooks: {
    /** Allow webhook URLs on loopback, private and link-local addresses (development, tests). */
    allowPrivate: boolean;
    /** Seconds before the first retry of a failed delivery; each retry doubles it, up to an hour. */
    retryBaseSeconds: number;
  };
  loginThrottle: {
    maxFailuresPerUsername: number;
    maxFailuresPerAddress: number;
    windowSeconds: number;
  };
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The value stored in `oauth_provider` for accounts from this provider. */
  provider: string;
  /** Roster's own public base URL; the redirect URI is this + /api/v1/auth/sso/callback. */
  publicUrl: string;
}

/** A bad setting: the message names the variable and what is wrong, on one line. */
export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const USERNAME_PATTERN = /^[a-zA-Z0-9_\-@.]+$/;

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got '${raw}')`);
  }
  return Number(raw);
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false (got '${raw}')`);
}

/**
 * `false` (default), a number of trusted hops, or a comma-separated list of
 * proxy addresses or CIDR ranges. `true` (trust every hop) lets any client
 * choose its own address through X-Forwarded-For, so it is refused.
 */
function trustProxy(env: Env): false | number | string[] {
  const raw = read(env, 'ROSTER_TRUST_PROXY');
  if (raw === undefined || raw === 'false' || raw === '0') return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (raw === 'true' || entries.length === 0 || entries.some((entry) => !/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(entry))) {
    throw new ConfigError(
      `ROSTER_TRUST_PROXY must be false, a number of proxy hops, or proxy addresses / CIDR ranges separated by commas (got '${raw}')`,
    );
  }
  return entries;
}

const OIDC_VARIABLES = [
  'ROSTER_OIDC_ISSUER',
  'ROSTER_OIDC_CLIENT_ID',
  'ROSTER_OIDC_CLIENT_SECRET',
  'ROSTER_OIDC_PROVIDER',
] as const;

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

function httpUrl(name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL (got '${raw}')`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`${name} must be an absolute http(s) URL (got '${raw}')`);
  }
  return url;
}

/** ROSTER_PUBLIC_URL: an absolute http(s) URL with no query or fragment, kept without its trailing slash. */
function publicUrl(env: Env): string | undefined {
  const raw = read(env, 'ROSTER_PUBLIC_URL');
  if (raw === undefined) return undefined;
  const url = httpUrl('ROSTER_PUBLIC_URL', raw);
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`ROSTER_PUBLIC_URL must not carry credentials, a query or a fragment (got '${raw}')`);
  }
  return url.toString().replace(/\/+$/, '');
}

/**
 * Single sign-on: the four ROSTER_OIDC_* variables or none, and then
 * ROSTER_PUBLIC_URL too (the redirect URI is built from it); the issuer over
 * https except on loopback addresses.
 */
function oidc(env: Env, publicUrl: string | undefined): OidcConfig | undefined {
  const set = OIDC_VARIABLES.filter((name) => read(env, name) !== undefined);
  if (set.length === 0) return undefined;
  const needed = [...OIDC_VARIABLES, 'ROSTER_PUBLIC_URL'];
  const missing = needed.filter((name) => read(env, name) === undefined);
  if (missing.length > 0) {
    throw new ConfigError(`${missing.join(', ')} must be set too: single sign-on needs all of ${needed.join(', ')}`);
  }
  const issuer = httpUrl('ROSTER_OIDC_ISSUER', read(env, 'ROSTER_OIDC_ISSUER')!);
  if (issuer.protocol !== 'https:' && !isLoopback(issuer)) {
    throw new ConfigError(`ROSTER_OIDC_ISSUER must use https:// (http:// only on 127.0.0.1, localhost or [::1])`);
  }
  return {
    issuer: read(env, 'ROSTER_OIDC_ISSUER')!,
    clientId: read(env, 'ROSTER_OIDC_CLIENT_ID')!,
    clientSecret: read(env, 'ROSTER_OIDC_CLIENT_SECRET')!,
    provider: read(env, 'ROSTER_OIDC_PROVIDER')!,
    publicUrl: publicUrl!,
  };
}

/** ROSTER_CORS_ORIGINS: comma-separated origins (`https://console.example.com`), each scheme://host[:port]. */
function corsOrigins(env: Env): string[] {
  const raw = read(env, 'ROSTER_CORS_ORIGINS');
  if (raw === undefined) return [];
  const origins = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin) {
      throw new ConfigError(
        `ROSTER_CORS_ORIGINS must list origins such as https://console.example.com, separated by commas (got '${origin}')`,
      );
    }
  }
  return origins;
}

/** A URL-like text with whatever sits between `://` and the last `@` hidden (it may hold a password). */
function withoutCredentials(raw: string): string {
  const scheme = raw.indexOf('://');
  const at = raw.lastIndexOf('@');
  return scheme >= 0 && at > scheme ? `${raw.slice(0, scheme + 3)}***${raw.slice(at)}` : raw;
}

function databaseUrl(env: Env): string {
  const raw = read(env, 'ROSTER_DATABASE_URL') ?? 'sqlite:./data/roster.db';
  if (raw.startsWith('sqlite:') && raw.length > 'sqlite:'.length) return raw;
  if (/^postgres(ql)?:\/\/.+/.test(raw)) return raw;
  throw new ConfigError(
    `ROSTER_DATABASE_URL must be sqlite:<path> or postgres://user@host:port/database (got '${withoutCredentials(raw)}')`,
  );
}

/** Parses the environment; throws `ConfigError` on the first bad setting. */
export function loadConfig(env: Env = process.env): Config {
  const secretKey = read(env, 'ROSTER_SECRET_KEY');
  if (secretKey !== undefined && secretKey.length < 32) {
    throw new ConfigError('ROSTER_SECRET_KEY must be at least 32 characters long');
  }
  const adminUsername = read(env, 'ROSTER_ADMIN_USERNAME') ?? 'admin';
  if (!USERNAME_PATTERN.test(adminUsername) || adminUsername.length > 255) {
    throw new ConfigError(`ROSTER_ADMIN_USERNAME must match ${USERNAME_PATTERN.source} and be at most 255 characters`);
  }
  const adminPassword = read(env, 'ROSTER_ADMIN_PASSWORD');
  if (adminPassword !== undefined && (adminPassword.length < 8 || adminPassword.length > 1024)) {
    throw new ConfigError('ROSTER_ADMIN_PASSWORD must be 8 to 1024 characters long');
  }
  const weakness = adminPassword === undefined ? undefined : passwordWeakness(adminPassword);
  if (weakness !== undefined) throw new ConfigError(`ROSTER_ADMIN_PASSWORD is too easy to guess: ${weakness}`);
  const metricsToken = read(env, 'ROSTER_METRICS_TOKEN');
  if (metricsToken !== undefined && (metricsToken.length < 16 || /\s/.test(metricsToken))) {
    throw new ConfigError('ROSTER_METRICS_TOKEN must be at least 16 characters long, without spaces');
  }
  const logLevel = read(env, 'ROSTER_LOG_LEVEL') ?? 'info';
  const base = publicUrl(env);
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`ROSTER_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got '${logLevel}')`);
  }
  return {
    databaseUrl: databaseUrl(env),
    host: read(env, 'ROSTER_HOST') ?? '127.0.0.1',
    port: integer(env, 'ROSTER_PORT', 8080, 0, 65535),
    secretKey,
    tokenTtlSeconds: integer(env, 'ROSTER_TOKEN_TTL', 3600, 60, 31_536_000),
    adminUsername,
    adminPassword,
    logLevel,
    bodyLimitBytes: integer(env, 'ROSTER_BODY_LIMIT', 65_536, 1024, 10_485_760),
    databasePoolSize: integer(env, 'ROSTER_DATABASE_POOL_SIZE', 10, 1, 1000),
    trustProxy: trustProxy(env),
    migrateOnStart: boolean(env, 'ROSTER_MIGRATE_ON_START', true),
    publicUrl: base,
    oidc: oidc(env, base),
    metricsToken,
    shutdownTimeoutSeconds: integer(env, 'ROSTER_SHUTDOWN_TIMEOUT', 10, 1, 3600),
    requestTimeoutSeconds: integer(env, 'ROSTER_REQUEST_TIMEOUT', 30, 1, 3600),
    corsOrigins: corsOrigins(env),
    eventsRetentionDays: integer(env, 'ROSTER_EVENTS_RETENTION_DAYS', 365, 1, 36_500),
    webhooks: {
      allowPrivate: boolean(env, 'ROSTER_WEBHOOK_ALLOW_PRIVATE', false),
      retryBaseSeconds: integer(env, 'ROSTER_WEBHOOK_RETRY_BASE', 5, 1, 3600),
    },
    loginThrottle: {
      maxFailuresPerUsername: integer(env, 'ROSTER_LOGIN_MAX_FAILURES', 10, 1, 1_000_000),
      maxFailuresPerAddress: integer(env, 'ROSTER_LOGIN_MAX_FAILURES_PER_ADDRESS', 100, 1, 1_000_000),
      windowSeconds: integer(env, 'ROSTER_LOGIN_WINDOW', 900, 1, 86_400),
    },
  };
}

/** Reads `./.env` into `process.env` when present; real environment variables win. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
