/**
 * Audit events (API.md 7): what services hand the events module, and what
 * the feed serves. Secrets never reach an event: `changes` of a password are
 * "[redacted]" on both sides, hashes, keys and tokens are never recorded.
 */

export const EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deleted',
  'user.password_changed',
  'user.login_succeeded',
  'user.login_failed',
  'user.logged_out',
  'user.login_failures_cleared',
  'user.sso_provisioned',
  'user.device_login_approved',
  'user.device_login_denied',
  'organization.created',
  'organization.updated',
  'organization.deleted',
  'organization.member_added',
  'organization.member_updated',
  'organization.member_removed',
  'invitation.created',
  'invitation.accepted',
  'invitation.declined',
  'invitation.revoked',
  'workspace.created',
  'workspace.updated',
  'workspace.deleted',
  'workspace.member_added',
  'workspace.member_updated',
  'workspace.member_removed',
  'api_key.created',
  'api_key.deleted',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export type ActorKind = 'user' | 'service_account' | 'system' | 'cli';
export type TargetType = 'user' | 'organization' | 'workspace' | 'api_key' | 'invitation' | 'webhook';

export interface Actor {
  id: string;
  username: string;
  kind: ActorKind;
}

/** The request a change came with. */
export interface RequestContext {
  id: string;
  ip: string;
  user_agent: string | null;
}

/** `{"field": [before, after]}`. */
export type Changes = Record<string, [unknown, unknown]>;

/** What an event is about. */
export interface EventTarget {
  type: TargetType;
  id: string;
}

/** An event as the feed serves it (`EventRead`). */
export interface EventRecord {
  id: string;
  type: EventType;
  occurred: string;
  actor: Actor | null;
  target: EventTarget | null;
  organization_id: string | null;
  changes: Changes;
  request: RequestContext | null;
}

/** The actor of changes Roster makes by itself (a webhook disabled after a 410, the first start). */
export const SYSTEM_ACTOR: Actor = { id: '00000000-0000-0000-0000-000000000000', username: 'system', kind: 'system' };

/** An id before every event's (UUIDv7 ids compare as text): the place of a webhook that has queued nothing yet. */
export const BEFORE_EVERY_EVENT = '00000000-0000-0000-0000-000000000000';

/** What a service records: the event without its id and time (given when it is written). */
export interface EventDraft {
  type: EventType;
  actor: Actor | null;
  target: EventTarget | null;
  organization_id?: string | null;
  changes?: Changes;
  request?: RequestContext | null;
}

/** Filters of the feed (API.md 7). */
export interface EventFilters {
  /** Exact types, or prefixes (`user.` for `user.*`). */
  types?: { exact: string[]; prefixes: string[] };
  actor_id?: string;
  target_id?: string;
  organization_id?: string;
  since?: string;
  until?: string;
}

export const REDACTED = '[redacted]';

/** Fields whose values never appear in an event. */
const SECRET_FIELDS = new Set(['password', 'current_password', 'password_hash', 'key', 'key_hash', 'secret', 'token']);

/**
 * The changed fields among `fields`, as `[before, after]`; secrets as
 * "[redacted]". Values compare as JSON (metadata objects).
 */
export function changesOf<T extends object>(before: T | null, after: T | null, fields: readonly (keyof T)[]): Changes {
  const changes: Changes = {};
  for (const field of fields) {
    const from = before === null ? null : (before[field] ?? null);
    const to = after === null ? null : (after[field] ?? null);
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    changes[field as string] = SECRET_FIELDS.has(field as string) ? [REDACTED, REDACTED] : [from, to];
  }
  return changes;
}

/** Whether an event type matches a webhook's pattern: `*`, `prefix.*` or the type itself. */
export function typeMatches(type: string, pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return type === pattern;
}
