import { Type } from 'typebox';

export const DeviceAuthorizationBody = Type.Object(
  {
    client_id: Type.Optional(Type.String({ maxLength: 255, description: 'Names the client (shown in audit events).' })),
    scope: Type.Optional(Type.String({ maxLength: 1024, description: 'OAuth2 field; ignored.' })),
  },
  { additionalProperties: false, title: 'DeviceAuthorizationRequest' },
);

export const DeviceAuthorizationSchema = Type.Object(
  {
    device_code: Type.String({ description: 'What the client polls `POST /api/v1/auth/login` with; secret.' }),
    user_code: Type.String({ description: 'What the person types on the approval page: 8 letters, XXXX-XXXX.' }),
    verification_uri: Type.String({ description: 'The approval page.' }),
    verification_uri_complete: Type.String({ description: 'The approval page with the user code filled in.' }),
    expires_in: Type.Integer({ description: 'Seconds until the device code expires.' }),
    interval: Type.Integer({ description: 'Seconds to wait between polls.' }),
  },
  {
    title: 'DeviceAuthorization',
    examples: [
      {
        device_code: 'GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS',
        user_code: 'WDJB-MJHT',
        verification_uri: 'https://roster.example.com/admin/device',
        verification_uri_complete: 'https://roster.example.com/admin/device?user_code=WDJB-MJHT',
        expires_in: 600,
        interval: 5,
      },
    ],
  },
);

export const DeviceVerifyBody = Type.Object(
  {
    user_code: Type.String({
      minLength: 1,
      maxLength: 32,
      description: 'The code the client shows, in any case, with or without the hyphen.',
    }),
    approve: Type.Boolean({ description: 'true to let the client in as the caller, false to deny it.' }),
  },
  { additionalProperties: false, title: 'DeviceVerification', examples: [{ user_code: 'WDJB-MJHT', approve: true }] },
);

/** The device grant's errors while polling (RFC 8628 section 3.5), for that grant only. */
export const DeviceGrantErrorSchema = Type.Object(
  {
    error: Type.Union(
      ['authorization_pending', 'slow_down', 'access_denied', 'expired_token', 'invalid_grant'].map((e) =>
        Type.Literal(e),
      ),
    ),
    error_description: Type.String(),
  },
  {
    title: 'DeviceGrantError',
    description: 'A device-code poll that yields no token yet (RFC 8628 section 3.5).',
    examples: [{ error: 'authorization_pending', error_description: 'the login has not been approved yet' }],
  },
);
