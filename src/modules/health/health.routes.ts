import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Store } from '../../store.js';

export const healthRoutes: FastifyPluginAsyncTypebox<{ store: Store }> = async (app, { store }) => {
  app.get(
    '/health',
    {
      schema: {
        operationId: 'health',
        summary: 'Health check',
        description: '200 when the database answers, 503 when it does not. No authentication.',
        tags: ['health'],
        response: {
          200: Type.Object({ status: Type.Literal('ok') }),
          503: Type.Object({ status: Type.Literal('unavailable') }),
        },
      },
    },
    async (request, reply) => {
      try {
        await store.ping();
        return { status: 'ok' as const };
      } catch (error) {
        request.log.warn({ err: error }, 'database unavailable');
        return reply.code(503).send({ status: 'unavailable' as const });
      }
    },
  );
};
