import { Type, type Static } from 'typebox';
import { Nullable, OrganizationRef, Timestamp, Uuid } from '../../http/schemas.js';

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

export const OrganizationIdParams = Type.Object({ organization_id: OrganizationRef });
export const OrganizationMemberParams = Type.Object({
  organization_id: OrganizationRef,
  user_id: Type.String({ format: 'uuid' }),
});
