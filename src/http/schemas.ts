/** Small reusable TypeBox pieces shared by every module's schemas. */
import { Type, type Static, type TSchema, type TUnsafe } from 'typebox';

/** `T | null` as one JSON Schema type list, so validation reports one error per field. */
export function Nullable<T extends TSchema>(schema: T): TUnsafe<Static<T> | null> {
  const { type, ...rest } = schema as unknown as { type: string };
  return Type.Unsafe<Static<T> | null>({ ...rest, type: [type, 'null'] });
}

export const Uuid = Type.String({ format: 'uuid' });

/** An organization in a path: its id, or its name (API.md 1.2, for clients that name organizations). */
export const OrganizationRef = Type.String({
  minLength: 1,
  maxLength: 255,
  description: "The organization's id, or its name.",
});
export const Timestamp = Type.String({ format: 'date-time' });

/** `{"detail": ["<ErrorName>", "<message>"]}`: the contract's domain error. */
export const DomainErrorSchema = Type.Object(
  {
    detail: Type.Array(Type.String(), {
      minItems: 2,
      maxItems: 2,
      description: 'The error name (e.g. KeyError) and a human readable message',
    }),
  },
  { $id: 'DomainError', title: 'DomainError' },
);

/** A pydantic-style validation error: 422 with every failing field. */
export const ValidationErrorSchema = Type.Object(
  {
    detail: Type.Array(
      Type.Object({
        type: Type.String(),
        loc: Type.Array(Type.Union([Type.String(), Type.Integer()])),
        msg: Type.String(),
        input: Type.Optional(Type.Unknown()),
      }),
    ),
  },
  { $id: 'ValidationError', title: 'ValidationError' },
);

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'ValueError: a well-formed request that the rules refuse',
  401: 'AuthorizationException: no, malformed, expired or revoked credentials',
  403: 'IllegalOperationError: the caller may not do this',
  404: 'KeyError: the resource does not exist or the caller may not see it',
  409: 'EntityExistsError: a unique value is taken',
  412: 'PreconditionFailed: If-Match does not match the current version',
  413: 'PayloadTooLarge: the body is over the limit',
  429: 'TooManyRequests: rate limit hit; see Retry-After',
  500: 'RuntimeError: something unexpected happened',
};

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 429;

/**
 * The error responses an operation documents: the statuses named, plus 422
 * and 500, which every operation can answer.
 */
export function errorResponses(...statuses: ErrorStatus[]) {
  const responses: Record<number, TSchema> = {};
  for (const status of [...statuses, 500]) {
    responses[status] = Type.Ref('DomainError', { description: ERROR_DESCRIPTIONS[status] });
  }
  responses[422] = Type.Ref('ValidationError', { description: 'Request validation failed' });
  return responses;
}

/** `offset` / `limit` pagination, as on the users list. */
export const PageQuery = Type.Object({
  offset: Type.Integer({
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    default: 0,
    description: 'Offset for pagination',
  }),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Limit for pagination' }),
});

/** Roles in organizations and workspaces. */
export const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('editor'), Type.Literal('viewer')], {
  description: 'admin, editor or viewer',
});

export const RoleBody = Type.Object({ role: RoleSchema }, { additionalProperties: false, title: 'MembershipUpdate' });

/** `{"user": UserRead, "role": ...}`: one member of an organization or workspace. */
export const MemberRead = Type.Object({ user: Type.Ref('UserRead'), role: RoleSchema }, { title: 'MemberRead' });
