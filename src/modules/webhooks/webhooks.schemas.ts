import { Type, type Static } from 'typebox';
import { Nullable, Timestamp, Uuid } from '../../http/schemas.js';

/** A type (`user.updated`), a prefix (`user.*`) or `*`. */
const EventType = Type.String({ pattern: '^(\\*|[a-z_]+\\.(\\*|[a-z_]+))$', maxLength: 100 });
const EventTypes = Type.Array(EventType, {
  minItems: 1,
  maxItems: 50,
  description: 'Event types, prefixes such as user.*, or ["*"] for every event',
});
const Url = Type.String({ minLength: 1, maxLength: 2048, description: 'https://, or http:// on loopback' });
const Description = Type.String({ maxLength: 4096 });

export const WebhookRead = Type.Object(
  {
    id: Uuid,
    url: Type.String(),
    event_types: Type.Array(Type.String()),
    description: Nullable(Type.String()),
    enabled: Type.Boolean({ description: 'false after the receiver answered 410 Gone (or when set so)' }),
    created: Timestamp,
    updated: Timestamp,
  },
  { title: 'WebhookRead' },
);

export const WebhookCreated = Type.Object(
  {
    ...WebhookRead.properties,
    secret: Type.String({ description: 'whsec_ + base64 of 32 random bytes; shown only in this answer' }),
  },
  { title: 'WebhookCreated' },
);

export const WebhookCreate = Type.Object(
  { url: Url, event_types: EventTypes, description: Type.Optional(Nullable(Description)) },
  { additionalProperties: false, title: 'WebhookCreate' },
);
export type WebhookCreate = Static<typeof WebhookCreate>;

export const WebhookUpdate = Type.Object(
  {
    url: Type.Optional(Url),
    event_types: Type.Optional(EventTypes),
    description: Type.Optional(Nullable(Description)),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, title: 'WebhookUpdate' },
);
export type WebhookUpdate = Static<typeof WebhookUpdate>;

export const DeliveryRead = Type.Object(
  {
    id: Uuid,
    event_id: Uuid,
    status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
    response_code: Nullable(Type.Integer()),
    attempts: Type.Integer(),
    next_attempt: Nullable(Timestamp),
    last_error: Nullable(Type.String()),
    first_attempt: Nullable(Timestamp),
    in_flight: Type.Boolean({ description: 'An instance is sending it right now' }),
    created: Timestamp,
    updated: Timestamp,
  },
  { title: 'DeliveryRead' },
);

export const WebhookIdParams = Type.Object({ webhook_id: Type.String({ format: 'uuid' }) });
export const DeliveryParams = Type.Object({
  webhook_id: Type.String({ format: 'uuid' }),
  delivery_id: Type.String({ format: 'uuid' }),
});
export const DeliveryListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});
