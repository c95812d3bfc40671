import { Type, type Static } from 'typebox';
import { Nullable, PageQuery, Timestamp, Uuid } from '../../http/schemas.js';
import { MAX_JSON_BYTES, PASSWORD_POLICY } from '../../http/validation.js';

export const USERNAME_PATTERN = '^[a-zA-Z0-9_\\-@.]+$';

export const Name = Type.String({ maxLength: 255, description: 'The name of the user.' });
export const AvatarUrl = Type.String({
  format: 'uri',
  pattern: '^[hH][tT][tT][pP][sS]?://[^/?#\\s]+',
  maxLength: 2048,
  description: 'The avatar URL of the user (http or https).',
});
const Company = Type.String({ maxLength: 255, description: 'The company of the user.' });
const JobTitle = Type.String({ maxLength: 255, description: 'The job title of the user.' });
export const Metadata = Type.Unsafe<Record<string, unknown>>(
  Type.Object(
    {},
    {
      additionalProperties: true,
      [MAX_JSON_BYTES]: 16_384,
      description: 'Additional metadata associated with the user (at most 16 KiB serialized).',
    },
  ),
);
const USERNAME_DESCRIPTION =
  'The unique username for the account (case-insensitively unique). For OAuth2 user accounts, this is the same as the email address.';
const EMAIL_DESCRIPTION =
  'The email address associated with the account (case-insensitively unique). For OAuth2 user accounts, this is the unique identifier for the user and is also used as the username.';
export const Username = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: USERNAME_PATTERN,
  description: USERNAME_DESCRIPTION,
});
const Email = Type.String({
  format: 'email',
  maxLength: 320,
  description: EMAIL_DESCRIPTION,
});
const Password = Type.String({
  minLength: 8,
  maxLength: 1024,
  [PASSWORD_POLICY]: true,
  description:
    'A password of 8 to 1024 characters; not among the 10,000 most common passwords, not only whitespace, not one repeated character (422 password_too_common).',
});

export const UserRead = Type.Object(
  {
    id: Uuid,
    name: Nullable(Name),
    avatar_url: Nullable(Type.String({ description: 'The avatar URL of the user.' })),
    company: Nullable(Company),
    job_title: Nullable(JobTitle),
    metadata: Metadata,
    username: Type.String({ description: USERNAME_DESCRIPTION }),
    email: Nullable(Type.String({ description: EMAIL_DESCRIPTION })),
    email_verified: Type.Boolean({
      description:
        "Whether the email is known to be the account's: set by a superuser or by the OAuth2 provider. An email an account set on itself is unverified: it is not a login name, and a provider's verified claim of it takes precedence.",
    }),
    oauth_provider: Nullable(
      Type.String({ description: 'The external OAuth2 provider that the user is associated with.' }),
    ),
    oauth_id: Nullable(Type.String({ description: 'The external OAuth2 ID of the user.' })),
    is_active: Type.Boolean({ description: 'Whether the account is active.' }),
    is_superuser: Type.Boolean({ description: 'Whether the account is a superuser.' }),
    is_service_account: Type.Boolean({ description: 'Whether the account is a service account.' }),
    organization_id: Nullable(
      Type.String({
        format: 'uuid',
        description: 'The ID of the organization that the service account belongs to. Only set for service accounts.',
      }),
    ),
    is_onboarded: Type.Boolean({ description: 'Whether the user has completed onboarding.' }),
    created: Timestamp,
    updated: Timestamp,
  },
  {
    $id: 'UserRead',
    title: 'UserRead',
    description: 'User model for displaying user account and service account information.',
  },
);
export type UserRead = Static<typeof UserRead>;

export const UserUpdate = Type.Object(
  {
    name: Type.Optional(Nullable(Name)),
    avatar_url: Type.Optional(Nullable(AvatarUrl)),
    company: Type.Optional(Nullable(Company)),
    job_title: Type.Optional(Nullable(JobTitle)),
    metadata: Type.Optional(Metadata),
    username: Type.Optional(
      Type.String({
        ...Username,
        description:
          "New username for the user. Not possible to change the username for OAuth2 user accounts because it's the same as the email address provided by the external OAuth2 provider.",
      }),
    ),
    email: Type.Optional(
      Nullable(
        Type.String({
          ...Email,
          description:
            "New email address for the user (null clears it for local accounts). Not possible to change the email address for OAuth2 user accounts because it's the same as the email address provided by the external OAuth2 provider.",
        }),
      ),
    ),
    is_onboarded: Type.Optional(Type.Boolean({ description: 'The user itself or a superuser.' })),
    email_verified: Type.Optional(
      Type.Boolean({
        description:
          "A superuser vouches for the account's email (true) or withdraws that (false). Setting an email as a superuser verifies it; setting one's own does not.",
      }),
    ),
    is_active: Type.Optional(
      Type.Boolean({ description: 'A superuser; never on the internal account or on oneself.' }),
    ),
    is_superuser: Type.Optional(
      Type.Boolean({ description: 'A superuser; never on service accounts or the internal account.' }),
    ),
    password: Type.Optional(
      Type.String({
        ...Password,
        description:
          "New password. Changing one's own password needs current_password. Revokes the account's other tokens.",
      }),
    ),
    current_password: Type.Optional(Type.String({ maxLength: 1024, description: "The caller's current password." })),
  },
  { additionalProperties: false, title: 'UserUpdate', description: 'Model for user updates.' },
);
export type UserUpdate = Static<typeof UserUpdate>;

export const UserCreate = Type.Object(
  {
    username: Username,
    password: Password,
    email: Type.Optional(Nullable(Email)),
    name: Type.Optional(Nullable(Name)),
    avatar_url: Type.Optional(Nullable(AvatarUrl)),
    company: Type.Optional(Nullable(Company)),
    job_title: Type.Optional(Nullable(JobTitle)),
    metadata: Type.Optional(Metadata),
    is_superuser: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false, title: 'UserCreate', description: 'Model for creating a local account.' },
);
export type UserCreate = Static<typeof UserCreate>;

/** A service account takes the user schema's rules for the fields it has. */
export const ServiceAccountCreate = Type.Object(
  {
    username: Username,
    name: Type.Optional(Nullable(Name)),
    avatar_url: Type.Optional(Nullable(AvatarUrl)),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false, title: 'ServiceAccountCreate' },
);
export type ServiceAccountCreate = Static<typeof ServiceAccountCreate>;

export const UserListQuery = Type.Object({
  ...PageQuery.properties,
  user_id: Type.Optional(Type.String({ format: 'uuid', description: 'Filter by user ID' })),
  oauth_provider: Type.Optional(Type.String({ maxLength: 255, description: 'Filter by OAuth provider' })),
  oauth_id: Type.Optional(Type.String({ maxLength: 255, description: 'Filter by OAuth ID' })),
  email: Type.Optional(Type.String({ maxLength: 320, description: 'Filter by email (case-insensitive, exact)' })),
  is_active: Type.Optional(Type.Boolean({ description: 'Filter by active status' })),
  username: Type.Optional(Type.String({ maxLength: 255, description: 'Filter by username (case-insensitive, exact)' })),
  is_superuser: Type.Optional(Type.Boolean({ description: 'Filter by superuser status' })),
  is_service_account: Type.Optional(Type.Boolean({ description: 'Filter service accounts' })),
  organization_id: Type.Optional(
    Type.String({ format: 'uuid', description: 'The service accounts of this organization' }),
  ),
  search: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'Case-insensitive prefix of the username, the email or the name',
    }),
  ),
  after: Type.Optional(
    Type.String({
      maxLength: 200,
      description:
        'Keyset pagination: the page after this cursor (from the Link header of the previous page). Not with offset.',
    }),
  ),
  include_total: Type.Boolean({
    default: false,
    description: 'Add X-Total-Count: how many visible users match the filters',
  }),
});
export type UserListQuery = Static<typeof UserListQuery>;

export const UserIdParams = Type.Object({
  user_id: Type.String({ format: 'uuid', description: 'User ID' }),
});

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'The ETag of the version this update is based on.' })),
});

export const DeleteQuery = Type.Object({
  dry_run: Type.Boolean({
    default: false,
    description: 'Answer 200 with what the delete would remove and what blocks it, changing nothing.',
  }),
});

export const DeletionPlan = Type.Object(
  {
    user_id: Uuid,
    allowed: Type.Boolean({ description: 'Whether the delete would succeed now.' }),
    blockers: Type.Array(
      Type.Object({
        reason: Type.Union([Type.Literal('internal_account'), Type.Literal('last_admin')]),
        message: Type.String(),
        organization_id: Nullable(Type.String({ format: 'uuid' })),
      }),
      { description: 'Why the delete would be refused.' },
    ),
    organization_memberships: Type.Array(
      Type.Object({ organization_id: Uuid, organization_name: Type.String(), role: Type.String() }),
    ),
    workspace_memberships: Type.Array(
      Type.Object({ workspace_id: Uuid, workspace_name: Type.String(), organization_id: Uuid, role: Type.String() }),
    ),
    api_keys: Type.Array(Type.Object({ id: Uuid, name: Type.String() })),
    active_sessions: Type.Integer({ description: 'Sessions (access tokens) that would end.' }),
  },
  { title: 'DeletionPlan', description: 'What deleting the account would remove; nothing is changed.' },
);
export type DeletionPlan = Static<typeof DeletionPlan>;
