import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { onRequestHookHandler } from 'fastify';
import { errorResponses } from '../../http/schemas.js';
import { etag, parseIfMatch } from '../../http/etag.js';
import { decodeCursor, nextLink } from '../../http/pagination.js';
import { toUserRead } from './users.mapper.js';
import type { UsersService } from './users.service.js';
import {
  DeleteQuery,
  DeletionPlan,
  IfMatchHeaders,
  UserCreate,
  UserIdParams,
  UserListQuery,
  UserUpdate,
  type UserRead,
} from './users.schemas.js';

export interface UsersRoutesOptions {
  users: UsersService;
  authenticate: onRequestHookHandler;
}

const tags = ['users'];
const security = [{ bearer: [] }];
const UserReadRef = Type.Unsafe<UserRead>(Type.Ref('UserRead'));

export const usersRoutes: FastifyPluginAsyncTypebox<UsersRoutesOptions> = async (app, { users, authenticate }) => {
  app.get(
    '/api/v1/users',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'listUsers',
        summary: 'List users',
        description:
          'Lists the accounts the caller may see, filtered (all filters combine with AND), in creation order. A full page carries Link: <...>; rel="next" with the cursor of the next page.',
        tags,
        security,
        querystring: UserListQuery,
        response: {
          200: Type.Array(UserReadRef, {
            description:
              'The page. Headers: Link (rel="next") when the page is full; X-Total-Count with include_total=true.',
          }),
          ...errorResponses(401),
        },
      },
    },
    async (request, reply) => {
      const { offset, limit, after, include_total, ...filters } = request.query;
      const cursor = decodeCursor(after, offset);
      const page = { offset, limit, ...(cursor ? { after: cursor } : {}) };
      const found = await users.list(request.principal, { filters, page, includeTotal: include_total });
      const last = found.users.at(-1);
      if (last && found.users.length === limit) {
        reply.header('link', nextLink(request.url, { created: last.created, id: last.id }));
      }
      if (found.total !== undefined) reply.header('x-total-count', String(found.total));
      return found.users.map(toUserRead);
    },
  );

  app.post(
    '/api/v1/users',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'createUser',
        summary: 'Create a local account',
        description: 'Superusers only.',
        tags,
        security,
        body: UserCreate,
        response: { 201: UserReadRef, ...errorResponses(401, 403, 409, 413) },
      },
    },
    async (request, reply) => {
      const user = await users.create(request.principal, request.body);
      reply.code(201).header('location', `/api/v1/users/${user.id}`).header('etag', etag(user.version));
      return toUserRead(user);
    },
  );

  app.get(
    '/api/v1/users/me',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'getCurrentUser',
        summary: "Get the caller's own account",
        tags,
        security,
        response: { 200: UserReadRef, ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      reply.header('etag', etag(request.principal.user.version));
      return toUserRead(request.principal.user);
    },
  );

  app.patch(
    '/api/v1/users/me',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'updateCurrentUser',
        summary: "Update the caller's own account",
        tags,
        security,
        headers: IfMatchHeaders,
        body: UserUpdate,
        response: { 200: UserReadRef, ...errorResponses(400, 401, 403, 409, 412, 413) },
      },
    },
    async (request, reply) => {
      const ifMatch = parseIfMatch(request.headers['if-match']);
      const user = await users.update(request.principal, request.principal.user.id, request.body, ifMatch);
      reply.header('etag', etag(user.version));
      return toUserRead(user);
    },
  );

  app.get(
    '/api/v1/users/:user_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'getUser',
        summary: 'Get a user',
        description: 'Answers 404 when the user does not exist or the caller may not see it. Sends an ETag.',
        tags,
        security,
        params: UserIdParams,
        response: { 200: UserReadRef, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const user = await users.get(request.principal, request.params.user_id);
      reply.header('etag', etag(user.version));
      return toUserRead(user);
    },
  );

  app.patch(
    '/api/v1/users/:user_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'updateUser',
        summary: 'Update a user',
        description:
          'All or nothing. 403 when the operation is not allowed or the user does not exist. Honours If-Match (412 on mismatch).',
        tags,
        security,
        params: UserIdParams,
        headers: IfMatchHeaders,
        body: UserUpdate,
        response: { 200: UserReadRef, ...errorResponses(400, 401, 403, 409, 412, 413) },
      },
    },
    async (request, reply) => {
      const ifMatch = parseIfMatch(request.headers['if-match']);
      const user = await users.update(request.principal, request.params.user_id, request.body, ifMatch);
      reply.header('etag', etag(user.version));
      return toUserRead(user);
    },
  );

  app.delete(
    '/api/v1/users/:user_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'deleteUser',
        summary: 'Delete a user',
        description:
          "A superuser, the user itself, or an admin of a service account's organization. Removes the account, its organization and workspace memberships, API keys and sessions in one transaction; resources it created stay. With dry_run=true, answers 200 with the plan and changes nothing.",
        tags,
        security,
        params: UserIdParams,
        querystring: DeleteQuery,
        response: {
          200: DeletionPlan,
          204: Type.Null({ description: 'Deleted' }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      if (request.query.dry_run) return users.planDeletion(request.principal, request.params.user_id);
      await users.delete(request.principal, request.params.user_id);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/api/v1/users/:user_id/login_failures',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'clearLoginFailures',
        summary: "Clear a user's failed logins",
        description:
          "Superusers clear the failed-login counters of the account's username and email, at every address, so that it may log in at once. 403 for anyone else; 404 for an account that does not exist.",
        tags,
        security,
        params: UserIdParams,
        response: { 204: Type.Null({ description: 'Cleared' }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await users.clearLoginFailures(request.principal, request.params.user_id);
      return reply.code(204).send(null);
    },
  );
};
