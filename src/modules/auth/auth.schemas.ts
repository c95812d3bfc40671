import { Type, type Static } from 'typebox';

export const LoginBody = Type.Object(
  {
    username: Type.Optional(
      Type.String({ minLength: 1, maxLength: 320, description: 'Username or email (omit to log in with an API key).' }),
    ),
    password: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description: 'The password (or an API key). Required unless grant_type is the device code grant.',
      }),
    ),
    grant_type: Type.Optional(
      Type.String({
        maxLength: 256,
        description:
          '`urn:ietf:params:oauth:grant-type:device_code` to poll a device login (with device_code); otherwise ignored (the OAuth2 password form sends `password`).',
      }),
    ),
    device_code: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, description: 'The device code of a device login being polled.' }),
    ),
    scope: Type.Optional(Type.String({ description: 'OAuth2 password form field; ignored.' })),
    client_id: Type.Optional(Type.String({ description: 'OAuth2 password form field; ignored.' })),
    client_secret: Type.Optional(Type.String({ description: 'OAuth2 password form field; ignored.' })),
  },
  { additionalProperties: false, title: 'LoginRequest' },
);

export const AccessTokenSchema = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('bearer'),
    expires_in: Type.Integer({ description: 'Seconds until the token expires.' }),
  },
  { title: 'AccessToken' },
);
export type AccessToken = Static<typeof AccessTokenSchema>;
