import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { onRequestHookHandler } from 'fastify';
import { errorResponses } from '../../http/schemas.js';
import { UserIdParams } from '../users/users.schemas.js';
import type { ApiKeyRecord } from '../../domain/records.js';
import { ApiKeyCreate, ApiKeyCreated, ApiKeyParams, ApiKeyRead } from './api-keys.schemas.js';
import type { ApiKeysService } from './api-keys.service.js';

export interface ApiKeysRoutesOptions {
  apiKeys: ApiKeysService;
  authenticate: onRequestHookHandler;
}

const tags = ['api keys'];
const security = [{ bearer: [] }];

function toApiKeyRead(k: ApiKeyRecord) {
  return { id: k.id, name: k.name, created: k.created, expires: k.expires, last_used: k.last_used };
}

export const apiKeysRoutes: FastifyPluginAsyncTypebox<ApiKeysRoutesOptions> = async (
  app,
  { apiKeys, authenticate },
) => {
  app.post(
    '/api/v1/users/:user_id/api_keys',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'createApiKey',
        summary: 'Create an API key for a service account',
        description: 'Superusers and admins of its organization. The key is shown only in this answer.',
        tags,
        security,
        params: UserIdParams,
        body: ApiKeyCreate,
        response: { 201: ApiKeyCreated, ...errorResponses(400, 401, 403, 404, 413) },
      },
    },
    async (request, reply) => {
      const created = await apiKeys.create(request.principal, request.params.user_id, request.body);
      reply.code(201).header('cache-control', 'no-store');
      return { ...toApiKeyRead(created), key: created.key };
    },
  );

  app.get(
    '/api/v1/users/:user_id/api_keys',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'listApiKeys',
        summary: "List a service account's API keys",
        description: 'Without the keys themselves.',
        tags,
        security,
        params: UserIdParams,
        response: { 200: Type.Array(ApiKeyRead), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => (await apiKeys.list(request.principal, request.params.user_id)).map(toApiKeyRead),
  );

  app.delete(
    '/api/v1/users/:user_id/api_keys/:api_key_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'deleteApiKey',
        summary: 'Delete an API key',
        description: 'The key, and every token obtained with it, stop working at once.',
        tags,
        security,
        params: ApiKeyParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await apiKeys.delete(request.principal, request.params.user_id, request.params.api_key_id);
      return reply.code(204).send(null);
    },
  );
};
