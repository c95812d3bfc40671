import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { onRequestHookHandler } from 'fastify';
import { MemberRead, PageQuery, RoleBody, errorResponses } from '../../http/schemas.js';
import { toUserRead } from '../users/users.mapper.js';
import { ServiceAccountCreate, type UserRead } from '../users/users.schemas.js';
import { toOrganizationRead } from './organizations.mapper.js';
import {
  OrganizationCreate,
  OrganizationIdParams,
  OrganizationMemberParams,
  OrganizationRead,
  OrganizationUpdate,
} from './organizations.schemas.js';
import type { OrganizationsService } from './organizations.service.js';

export interface OrganizationsRoutesOptions {
  organizations: OrganizationsService;
  authenticate: onRequestHookHandler;
}

const tags = ['organizations'];
const security = [{ bearer: [] }];
const UserReadRef = Type.Unsafe<UserRead>(Type.Ref('UserRead'));

export const organizationsRoutes: FastifyPluginAsyncTypebox<OrganizationsRoutesOptions> = async (
  app,
  { organizations, authenticate },
) => {
  app.post(
    '/api/v1/organizations',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'createOrganization',
        summary: 'Create an organization',
        description: 'Any human account; the caller becomes its admin.',
        tags,
        security,
        body: OrganizationCreate,
        response: { 201: OrganizationRead, ...errorResponses(401, 403, 409, 413) },
      },
    },
    async (request, reply) => {
      const organization = await organizations.create(request.principal, request.body);
      reply.code(201).header('location', `/api/v1/organizations/${organization.id}`);
      return toOrganizationRead(organization);
    },
  );

  app.get(
    '/api/v1/organizations',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'listOrganizations',
        summary: 'List organizations',
        description: 'Superusers: all; others: those they belong to (a service account: its own).',
        tags,
        security,
        querystring: PageQuery,
        response: { 200: Type.Array(OrganizationRead), ...errorResponses(401) },
      },
    },
    async (request) => {
      const found = await organizations.list(request.principal, request.query.offset, request.query.limit);
      return found.map(toOrganizationRead);
    },
  );

  app.get(
    '/api/v1/organizations/:organization_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'getOrganization',
        summary: 'Get an organization',
        description: 'Members and superusers; 404 for anyone else.',
        tags,
        security,
        params: OrganizationIdParams,
        response: { 200: OrganizationRead, ...errorResponses(401, 404) },
      },
    },
    async (request) => toOrganizationRead(await organizations.get(request.principal, request.params.organization_id)),
  );

  app.patch(
    '/api/v1/organizations/:organization_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'updateOrganization',
        summary: 'Update an organization',
        description: 'Its admins and superusers.',
        tags,
        security,
        params: OrganizationIdParams,
        body: OrganizationUpdate,
        response: { 200: OrganizationRead, ...errorResponses(401, 403, 404, 409, 413) },
      },
    },
    async (request) =>
      toOrganizationRead(await organizations.update(request.principal, request.params.organization_id, request.body)),
  );

  app.delete(
    '/api/v1/organizations/:organization_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'deleteOrganization',
        summary: 'Delete an organization',
        description:
          'Its admins and superusers. Refused (403) while it has workspaces. Removes its memberships and its service accounts with their API keys.',
        tags,
        security,
        params: OrganizationIdParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await organizations.delete(request.principal, request.params.organization_id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/organizations/:organization_id/members',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'listOrganizationMembers',
        summary: 'List the members of an organization',
        tags,
        security,
        params: OrganizationIdParams,
        response: { 200: Type.Array(MemberRead), ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const members = await organizations.members(request.principal, request.params.organization_id);
      return members.map((m) => ({ user: toUserRead(m.user), role: m.role }));
    },
  );

  app.put(
    '/api/v1/organizations/:organization_id/members/:user_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'putOrganizationMember',
        summary: "Change a member's role (superusers: add a member)",
        description:
          'Admins change the role of an existing member; the last admin cannot be demoted (403). Adding an account that is not a member is for superusers only (403 for anyone else, whatever the account): organization admins invite (POST .../invitations).',
        tags,
        security,
        params: OrganizationMemberParams,
        body: RoleBody,
        response: { 200: MemberRead, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { organization_id, user_id } = request.params;
      const member = await organizations.putMember(request.principal, organization_id, user_id, request.body.role);
      return { user: toUserRead(member.user), role: member.role };
    },
  );

  app.delete(
    '/api/v1/organizations/:organization_id/members/:user_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'deleteOrganizationMember',
        summary: 'Remove a member',
        description:
          "Admins remove a member; any member may remove itself. The last admin cannot leave (403). Also removes the member from the organization's workspaces.",
        tags,
        security,
        params: OrganizationMemberParams,
        response: { 204: Type.Null({ description: 'Removed' }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await organizations.removeMember(request.principal, request.params.organization_id, request.params.user_id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/organizations/:organization_id/service_accounts',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'createServiceAccount',
        summary: 'Create a service account',
        description: 'Admins of the organization and superusers. Service accounts authenticate with API keys only.',
        tags,
        security,
        params: OrganizationIdParams,
        body: ServiceAccountCreate,
        response: { 201: UserReadRef, ...errorResponses(401, 403, 404, 409, 413) },
      },
    },
    async (request, reply) => {
      const user = await organizations.createServiceAccount(
        request.principal,
        request.params.organization_id,
        request.body,
      );
      reply.code(201).header('location', `/api/v1/users/${user.id}`);
      return toUserRead(user);
    },
  );
};
