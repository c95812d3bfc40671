import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import formbody from '@fastify/formbody';
import type { onRequestHookHandler } from 'fastify';
import { errorResponses } from '../../http/schemas.js';
import { requestContext } from '../../auth/authenticate.js';
import { InvalidInput } from '../../domain/errors.js';
import { DEVICE_CODE_GRANT, type DeviceService } from '../device/device.service.js';
import { DeviceGrantErrorSchema } from '../device/device.schemas.js';
import type { AuthService } from './auth.service.js';
import { AccessTokenSchema, LoginBody } from './auth.schemas.js';

export interface AuthRoutesOptions {
  auth: AuthService;
  device: DeviceService;
  authenticate: onRequestHookHandler;
}

const tags = ['auth'];

export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, { auth, device, authenticate }) => {
  // The OAuth2 password form; registered here so that only these routes accept form bodies.
  await app.register(formbody);

  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        operationId: 'login',
        summary: 'Log in',
        description:
          'Username (or email) and password, as JSON or as an OAuth2 password form (application/x-www-form-urlencoded). Every failure answers the same 401. Failed logins are rate limited per username and per client address (429 with Retry-After). With `grant_type=urn:ietf:params:oauth:grant-type:device_code` and `device_code`, polls a device login: 400 with an RFC 8628 error until it is approved, then the token, once.',
        tags,
        body: {
          content: {
            'application/json': { schema: LoginBody },
            'application/x-www-form-urlencoded': { schema: LoginBody },
          },
        },
        security: [],
        response: {
          200: AccessTokenSchema,
          ...errorResponses(401, 413, 429),
          400: Type.Union([DeviceGrantErrorSchema, Type.Ref('DomainError')], {
            description:
              'Device code grant: no token yet (RFC 8628 section 3.5); otherwise a request the server could not read (ValueError)',
          }),
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const body = request.body as Static<typeof LoginBody>;
      if (body.grant_type === DEVICE_CODE_GRANT) {
        if (body.device_code === undefined)
          throw new InvalidInput(['body', 'device_code'], 'missing', 'Field required');
        return device.poll(body.device_code, requestContext(request));
      }
      if (body.password === undefined) throw new InvalidInput(['body', 'password'], 'missing', 'Field required');
      return auth.login(body.username, body.password, requestContext(request));
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'logout',
        summary: 'Log out',
        description: 'Revokes the access token the request is made with.',
        tags,
        security: [{ bearer: [] }],
        response: { 204: Type.Null({ description: 'Revoked' }), ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      await auth.logout(request.principal);
      return reply.code(204).send(null);
    },
  );
};
