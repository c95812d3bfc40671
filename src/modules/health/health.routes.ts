import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** What the probes ask of the database. */
export interface HealthProbes {
  /** Resolves when the database answers. */
  ping(): Promise<void>;
  /** The migrations this build needs that the database lacks. */
  pendingMigrations(): Promise<string[]>;
}

const Ok = Type.Object(
  { status: Type.Literal('ok') },
  { title: 'Health', description: 'Ready', examples: [{ status: 'ok' }] },
);
const Unavailable = Type.Object(
  { status: Type.Literal('unavailable'), reason: Type.Optional(Type.String()) },
  {
    title: 'HealthUnavailable',
    description: 'Not ready',
    examples: [{ status: 'unavailable', reason: 'the database does not answer' }],
  },
);

export const healthRoutes: FastifyPluginAsyncTypebox<{ probes: HealthProbes }> = async (app, { probes }) => {
  app.get(
    '/health',
    {
      schema: {
        operationId: 'health',
        summary: 'Liveness and database check',
        description: '200 when the database answers, 503 when it does not. No authentication.',
        tags: ['health'],
        response: { 200: Ok, 503: Unavailable },
      },
    },
    async (request, reply) => {
      try {
        await probes.ping();
        return { status: 'ok' as const };
      } catch (error) {
        request.log.warn({ err: error }, 'database unavailable');
        return reply.code(503).send({ status: 'unavailable' as const });
      }
    },
  );

  app.get(
    '/health/live',
    {
      schema: {
        operationId: 'healthLive',
        summary: 'Liveness of the process',
        description:
          '200 while the process serves requests, whatever the database does (for liveness probes that must not restart instances during a database outage). No authentication.',
        tags: ['health'],
        response: { 200: Ok },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        operationId: 'healthReady',
        summary: 'Readiness',
        description:
          '200 when the database answers and has every migration this version needs; 503 otherwise (the database is down, or migrations are pending). No authentication.',
        tags: ['health'],
        response: { 200: Ok, 503: Unavailable },
      },
    },
    async (request, reply) => {
      try {
        await probes.ping();
      } catch (error) {
        request.log.warn({ err: error }, 'database unavailable');
        return reply.code(503).send({ status: 'unavailable' as const, reason: 'the database does not answer' });
      }
      if ((await probes.pendingMigrations()).length > 0) {
        return reply.code(503).send({ status: 'unavailable' as const, reason: 'database migrations are pending' });
      }
      return { status: 'ok' as const };
    },
  );
};
