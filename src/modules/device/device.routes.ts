import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import formbody from '@fastify/formbody';
import type { onRequestHookHandler } from 'fastify';
import { errorResponses } from '../../http/schemas.js';
import type { DeviceService } from './device.service.js';
import { DeviceAuthorizationBody, DeviceAuthorizationSchema, DeviceVerifyBody } from './device.schemas.js';

export interface DeviceRoutesOptions {
  device: DeviceService;
  authenticate: onRequestHookHandler;
}

const tags = ['auth'];

/** Device authorization (API.md 3.4). The polling itself is a grant of `POST /api/v1/auth/login`. */
export const deviceRoutes: FastifyPluginAsyncTypebox<DeviceRoutesOptions> = async (app, { device, authenticate }) => {
  // RFC 8628 clients send forms.
  await app.register(formbody);

  app.post(
    '/api/v1/auth/device_authorization',
    {
      schema: {
        operationId: 'startDeviceAuthorization',
        summary: 'Start a device login',
        description:
          'For command-line clients (RFC 8628). Show `user_code` and `verification_uri` to the person, then poll `POST /api/v1/auth/login` with `grant_type=urn:ietf:params:oauth:grant-type:device_code` and the `device_code` every `interval` seconds. Pending device logins are limited per client address (429).',
        tags,
        security: [],
        body: {
          content: {
            'application/json': { schema: DeviceAuthorizationBody },
            'application/x-www-form-urlencoded': { schema: DeviceAuthorizationBody },
          },
        },
        response: { 200: DeviceAuthorizationSchema, ...errorResponses(413, 429) },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const body = (request.body ?? {}) as { client_id?: string };
      return device.start(body.client_id, request.ip);
    },
  );

  app.post(
    '/api/v1/auth/device/verify',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'verifyDeviceLogin',
        summary: 'Approve or deny a device login',
        description:
          'The signed-in person answers the user code a client shows. Approving lets the client in as the caller, once. Only human accounts; wrong codes are limited per account and per address (429).',
        tags,
        security: [{ bearer: [] }],
        body: DeviceVerifyBody,
        response: {
          204: Type.Null({ description: 'Answered; the client learns it at its next poll' }),
          ...errorResponses(401, 403, 404, 413, 429),
        },
      },
    },
    async (request, reply) => {
      await device.verify(request.principal, request.body.user_code, request.body.approve);
      return reply.code(204).send(null);
    },
  );
};
