import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { onRequestHookHandler } from 'fastify';
import { EVENT_TYPES, type EventFilters, type EventRecord } from '../../domain/events.js';
import { InvalidInput } from '../../domain/errors.js';
import { nextLink } from '../../http/pagination.js';
import { errorResponses } from '../../http/schemas.js';
import { EventListQuery } from './events.schemas.js';
import type { EventsService } from './events.service.js';

export interface EventsRoutesOptions {
  events: EventsService;
  authenticate: onRequestHookHandler;
}

const EventReadRef = Type.Unsafe<EventRecord>(Type.Ref('EventRead'));

export const eventsRoutes: FastifyPluginAsyncTypebox<EventsRoutesOptions> = async (app, { events, authenticate }) => {
  app.get(
    '/api/v1/events',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'listEvents',
        summary: 'List audit events',
        description:
          'The audit log, oldest first. Superusers see every event, organization admins the events of their organizations, everyone else the events whose actor or target it is. A full page carries Link: rel="next"; with wait, the request waits up to that many seconds for a first event after `after` (long poll).',
        tags: ['events'],
        security: [{ bearer: [] }],
        querystring: EventListQuery,
        response: { 200: Type.Array(EventReadRef, { description: 'The page' }), ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      const { after, type, actor_id, target_id, organization_id, since, until, limit, wait } = request.query;
      const filters: EventFilters = {
        ...(type ? { types: parseTypes(type) } : {}),
        ...(actor_id ? { actor_id } : {}),
        ...(target_id ? { target_id } : {}),
        ...(organization_id ? { organization_id } : {}),
        ...(since ? { since: instant(since, 'since') } : {}),
        ...(until ? { until: instant(until, 'until') } : {}),
      };
      const found = await events.list(request.principal, { filters, ...(after ? { after } : {}), limit, wait });
      const last = found.at(-1);
      if (last && found.length === limit) reply.header('link', nextLink(request.url, last.id));
      return found;
    },
  );
};

/** The types and prefixes a filter may name. */
const KNOWN = new Set<string>(['*', ...EVENT_TYPES, ...EVENT_TYPES.map((t) => `${t.split('.')[0]}.*`)]);
const MAX_TYPES = 50;

/** `type=user.*,organization.created&type=...` -> exact types and prefixes; `*` alone filters nothing. */
function parseTypes(values: string[]): EventFilters['types'] | undefined {
  const all = [...new Set(values.flatMap((v) => v.split(',')))];
  const unknown = all.find((t) => !KNOWN.has(t));
  if (unknown !== undefined) {
    throw new InvalidInput(
      ['query', 'type'],
      'value_error',
      `Value error, ${unknown.slice(0, 100)} is not an event type or prefix`,
    );
  }
  if (all.length > MAX_TYPES) {
    throw new InvalidInput(['query', 'type'], 'value_error', `Value error, at most ${MAX_TYPES} types`);
  }
  if (all.includes('*')) return undefined;
  return {
    exact: all.filter((t) => !t.endsWith('.*')),
    prefixes: all.filter((t) => t.endsWith('.*')).map((t) => t.slice(0, -1)),
  };
}

/** A date-time as the ISO instant events are stored with (offsets and precision vary in what clients send). */
function instant(text: string, field: string): string {
  const time = Date.parse(text);
  const iso = Number.isNaN(time) ? '' : new Date(time).toISOString();
  // Years 1 to 9999 only: both engines store those, and they read back the same.
  if (!/^\d{4}-/.test(iso) || iso.startsWith('0000')) {
    throw new InvalidInput(
      ['query', field],
      'datetime_parsing',
      'Input should be a valid datetime between years 1 and 9999',
    );
  }
  return iso;
}
