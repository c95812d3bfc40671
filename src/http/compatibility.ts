/**
 * Compatibility with FastAPI / pydantic clients such as ZenML's (API.md 1.2),
 * which update with `PUT` and name organizations in paths:
 * - `PUT` is a synonym of `PATCH` on every path that has `PATCH`: the same
 *   route (hooks, schemas, handler) registered a second time, left out of the
 *   OpenAPI document (the `PATCH` operation documents both);
 * - an `{organization_id}` path value that is not a UUID is looked up as the
 *   name of an organization the caller may read (`AccessService`).
 * Booleans in query strings are read as pydantic reads them in `validation.ts`.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { AccessService } from '../auth/access.js';

/** Marks the `PUT` twin of a `PATCH` route. */
const PUT_SYNONYM = 'putSynonym';

/** Whether a route is the `PUT` synonym of a `PATCH` route (left out of the OpenAPI document). */
export function isPutSynonym(route: { config?: unknown }): boolean {
  return (route.config as Record<string, unknown> | undefined)?.[PUT_SYNONYM] === true;
}

async function compatibility(app: FastifyInstance, { access }: { access: AccessService }) {
  app.addHook('onRoute', function addPutSynonym(route) {
    if (route.method !== 'PATCH' || isPutSynonym(route)) return;
    const config = { ...(route.config as object), [PUT_SYNONYM]: true } as typeof route.config;
    this.route({ ...route, method: 'PUT', ...(config ? { config } : {}) });
  });
  app.addHook('preHandler', async (request) => {
    const params = request.params as Record<string, string> | undefined;
    if (params?.organization_id === undefined || !request.principal) return;
    params.organization_id = await access.organizationIdOf(request.principal, params.organization_id);
  });
}

export const compatibilityPlugin = fp(compatibility, { name: 'roster-compatibility' });
