import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid } from '../../http/schemas.js';

const Actor = Type.Object(
  {
    id: Uuid,
    username: Type.String(),
    kind: Type.Union([
      Type.Literal('user'),
      Type.Literal('service_account'),
      Type.Literal('system'),
      Type.Literal('cli'),
    ]),
  },
  { title: 'EventActor' },
);

const Target = Type.Object(
  {
    type: Type.Union(
      ['user', 'organization', 'workspace', 'api_key', 'invitation', 'webhook'].map((t) => Type.Literal(t)),
    ),
    id: Uuid,
  },
  { title: 'EventTarget' },
);

const RequestInfo = Type.Object(
  { id: Type.String(), ip: Type.String(), user_agent: Nullable(Type.String()) },
  { title: 'EventRequest' },
);

export const EventRead = Type.Object(
  {
    id: Uuid,
    type: Type.String({ description: 'e.g. user.updated' }),
    occurred: Timestamp,
    actor: Nullable(Actor),
    target: Nullable(Target),
    organization_id: Nullable(Uuid),
    changes: Type.Record(Type.String(), Type.Array(Type.Unknown(), { minItems: 2, maxItems: 2 }), {
      description: '{"field": [before, after]}; secrets appear as "[redacted]"',
    }),
    request: Nullable(RequestInfo),
  },
  { $id: 'EventRead', title: 'EventRead' },
);

/** A type (`user.updated`), a prefix (`user.*`) or `*`. */
const TYPE_PATTERN = '^(\\*|[a-z_]+\\.(\\*|[a-z_]+))(,(\\*|[a-z_]+\\.(\\*|[a-z_]+)))*$';

export const EventListQuery = Type.Object({
  after: Type.Optional(Type.String({ format: 'uuid', description: 'The id of the last event seen (a cursor)' })),
  type: Type.Optional(
    Type.Array(Type.String({ pattern: TYPE_PATTERN, maxLength: 1000 }), {
      maxItems: 50,
      description: 'Event types; repeatable or comma separated; `user.*` takes every user event',
    }),
  ),
  actor_id: Type.Optional(Uuid),
  target_id: Type.Optional(Uuid),
  organization_id: Type.Optional(Uuid),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Events at or after this time' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Events before this time' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  wait: Type.Integer({
    minimum: 0,
    maximum: 30,
    default: 0,
    description: 'Seconds to wait for a first event when there is none yet (long poll)',
  }),
});
