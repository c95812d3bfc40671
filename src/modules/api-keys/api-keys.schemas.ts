import { Type, type Static } from 'typebox';
import { Nullable, Timestamp, Uuid } from '../../http/schemas.js';

export const ApiKeyCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    expires_in: Type.Optional(
      Type.Integer({
        minimum: 60,
        maximum: 315_360_000,
        description: 'Lifetime in seconds; without it the key does not expire.',
      }),
    ),
  },
  { additionalProperties: false, title: 'ApiKeyCreate' },
);
export type ApiKeyCreate = Static<typeof ApiKeyCreate>;

const fields = {
  id: Uuid,
  name: Type.String(),
  created: Timestamp,
  expires: Nullable(Type.String({ format: 'date-time' })),
  last_used: Nullable(Type.String({ format: 'date-time', description: 'Recorded to the minute.' })),
};

export const ApiKeyRead = Type.Object(fields, { title: 'ApiKeyRead' });
export const ApiKeyCreated = Type.Object(
  { ...fields, key: Type.String({ description: 'The key itself: shown only in this answer.' }) },
  { title: 'ApiKeyCreated' },
);

export const ApiKeyParams = Type.Object({
  user_id: Type.String({ format: 'uuid' }),
  api_key_id: Type.String({ format: 'uuid' }),
});
