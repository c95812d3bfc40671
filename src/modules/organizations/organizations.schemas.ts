import { Type, type Static } from 'typebox';
import { Nullable, Timestamp, Uuid } from '../../http/schemas.js';

const Name = Type.String({ minLength: 1, maxLength: 255, description: 'Unique (case-insensitively).' });
const Description = Type.String({ maxLength: 4096 });

export const OrganizationRead = Type.Object(
  { id: Uuid, name: Type.String(), description: Nullable(Type.String()), created: Timestamp, updated: Timestamp },
  { title: 'OrganizationRead' },
);

export const OrganizationCreate = Type.Object(
  { name: Name, description: Type.Optional(Nullable(Description)) },
  { additionalProperties: false, title: 'OrganizationCreate' },
);
export type OrganizationCreate = Static<typeof OrganizationCreate>;

export const OrganizationUpdate = Type.Object(
  { name: Type.Optional(Name), description: Type.Optional(Nullable(Description)) },
  { additionalProperties: false, title: 'OrganizationUpdate' },
);
export type OrganizationUpdate = Static<typeof OrganizationUpdate>;

export const OrganizationIdParams = Type.Object({ organization_id: Type.String({ format: 'uuid' }) });
export const OrganizationMemberParams = Type.Object({
  organization_id: Type.String({ format: 'uuid' }),
  user_id: Type.String({ format: 'uuid' }),
});

export const ServiceAccountCreate = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9_\\-@.]+$' }),
    name: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
    avatar_url: Type.Optional(
      Nullable(Type.String({ format: 'uri', pattern: '^[hH][tT][tT][pP][sS]?://[^/?#\\s]+', maxLength: 2048 })),
    ),
    metadata: Type.Optional(
      Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true, 'x-max-json-bytes': 16_384 })),
    ),
  },
  { additionalProperties: false, title: 'ServiceAccountCreate' },
);
