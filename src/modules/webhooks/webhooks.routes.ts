import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { onRequestHookHandler } from 'fastify';
import { errorResponses } from '../../http/schemas.js';
import type { DeliveryRecord } from '../../domain/records.js';
import {
  DeliveryListQuery,
  DeliveryParams,
  DeliveryRead,
  WebhookCreate,
  WebhookCreated,
  WebhookIdParams,
  WebhookRead,
  WebhookUpdate,
} from './webhooks.schemas.js';
import type { WebhooksService } from './webhooks.service.js';

export interface WebhooksRoutesOptions {
  webhooks: WebhooksService;
  authenticate: onRequestHookHandler;
}

const tags = ['webhooks'];
const security = [{ bearer: [] }];

/** A delivery as listed: `next_attempt` only while one is to come. */
function toDeliveryRead(d: DeliveryRecord) {
  const { webhook_id: _webhook, ...rest } = d;
  return { ...rest, next_attempt: d.status === 'pending' ? d.next_attempt : null };
}

export const webhooksRoutes: FastifyPluginAsyncTypebox<WebhooksRoutesOptions> = async (
  app,
  { webhooks, authenticate },
) => {
  app.post(
    '/api/v1/webhooks',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'createWebhook',
        summary: 'Register a webhook',
        description:
          'Superusers. Events of the listed types are posted to the URL, signed (Standard Webhooks). The secret is shown only in this answer.',
        tags,
        security,
        body: WebhookCreate,
        response: { 201: WebhookCreated, ...errorResponses(400, 401, 403, 413) },
      },
    },
    async (request, reply) => {
      const created = await webhooks.create(request.principal, request.body);
      reply.code(201).header('cache-control', 'no-store');
      return created;
    },
  );

  app.get(
    '/api/v1/webhooks',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'listWebhooks',
        summary: 'List webhooks',
        description: 'Superusers.',
        tags,
        security,
        response: { 200: Type.Array(WebhookRead, { description: 'Every webhook' }), ...errorResponses(401, 403) },
      },
    },
    async (request) => webhooks.list(request.principal),
  );

  app.get(
    '/api/v1/webhooks/:webhook_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'getWebhook',
        summary: 'Get a webhook',
        description: 'Superusers.',
        tags,
        security,
        params: WebhookIdParams,
        response: { 200: WebhookRead, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => webhooks.get(request.principal, request.params.webhook_id),
  );

  app.patch(
    '/api/v1/webhooks/:webhook_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'updateWebhook',
        summary: 'Update a webhook',
        description: 'Superusers. `enabled: true` turns a webhook disabled by a 410 back on.',
        tags,
        security,
        params: WebhookIdParams,
        body: WebhookUpdate,
        response: { 200: WebhookRead, ...errorResponses(400, 401, 403, 404, 413) },
      },
    },
    async (request) => webhooks.update(request.principal, request.params.webhook_id, request.body),
  );

  app.delete(
    '/api/v1/webhooks/:webhook_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'deleteWebhook',
        summary: 'Delete a webhook',
        description: 'Superusers. Its queued deliveries go with it.',
        tags,
        security,
        params: WebhookIdParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await webhooks.delete(request.principal, request.params.webhook_id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/webhooks/:webhook_id/deliveries',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'listWebhookDeliveries',
        summary: 'List deliveries of a webhook',
        description: 'Superusers. Newest event first: status, last response code, attempts, next attempt.',
        tags,
        security,
        params: WebhookIdParams,
        querystring: DeliveryListQuery,
        response: { 200: Type.Array(DeliveryRead, { description: 'Deliveries' }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request) =>
      (await webhooks.deliveries(request.principal, request.params.webhook_id, request.query.limit)).map(
        toDeliveryRead,
      ),
  );

  app.post(
    '/api/v1/webhooks/:webhook_id/deliveries/:delivery_id/retry',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'retryWebhookDelivery',
        summary: 'Retry a delivery now',
        description: 'Superusers. The delivery is due at once (in order behind earlier ones of the same webhook).',
        tags,
        security,
        params: DeliveryParams,
        response: { 202: DeliveryRead, ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const delivery = await webhooks.retry(request.principal, request.params.webhook_id, request.params.delivery_id);
      reply.code(202);
      return toDeliveryRead(delivery);
    },
  );
};
