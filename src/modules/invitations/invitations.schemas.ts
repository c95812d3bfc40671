import { Type, type Static } from 'typebox';
import { Nullable, OrganizationRef, RoleSchema, Timestamp, Uuid } from '../../http/schemas.js';

export const InvitationStatusSchema = Type.Union(
  [
    Type.Literal('pending'),
    Type.Literal('accepted'),
    Type.Literal('declined'),
    Type.Literal('revoked'),
    Type.Literal('expired'),
  ],
  { description: 'pending until accepted, declined, revoked, or past its expiry' },
);

export const InvitationRead = Type.Object(
  {
    id: Uuid,
    organization_id: Uuid,
    organization_name: Type.String(),
    role: RoleSchema,
    email: Nullable(Type.String({ description: 'Set when invited by email.' })),
    user_id: Nullable(Type.String({ format: 'uuid', description: 'Set when invited by account.' })),
    invited_by: Type.String({ format: 'uuid', description: 'The id of the admin who invited.' }),
    status: InvitationStatusSchema,
    created: Timestamp,
    expires: Timestamp,
  },
  { title: 'InvitationRead' },
);
export type InvitationRead = Static<typeof InvitationRead>;

export const InvitationCreate = Type.Object(
  {
    email: Type.Optional(
      Type.String({
        format: 'email',
        maxLength: 320,
        description: 'Invite whoever has or will have this verified email.',
      }),
    ),
    user_id: Type.Optional(Type.String({ format: 'uuid', description: 'Invite an account the caller can see.' })),
    role: RoleSchema,
  },
  { additionalProperties: false, title: 'InvitationCreate', description: 'Exactly one of email and user_id.' },
);
export type InvitationCreate = Static<typeof InvitationCreate>;

export const OrganizationInvitationParams = Type.Object({
  organization_id: OrganizationRef,
  invitation_id: Type.String({ format: 'uuid' }),
});
export const InvitationIdParams = Type.Object({ invitation_id: Type.String({ format: 'uuid' }) });
