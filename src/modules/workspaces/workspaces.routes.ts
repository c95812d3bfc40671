import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { onRequestHookHandler } from 'fastify';
import { MemberRead, PageQuery, RoleBody, errorResponses } from '../../http/schemas.js';
import { OrganizationIdParams } from '../organizations/organizations.schemas.js';
import { toUserRead } from '../users/users.mapper.js';
import type { WorkspaceRecord } from '../../domain/records.js';
import {
  WorkspaceCreate,
  WorkspaceIdParams,
  WorkspaceMemberParams,
  WorkspaceRead,
  WorkspaceUpdate,
} from './workspaces.schemas.js';
import type { WorkspacesService } from './workspaces.service.js';

export interface WorkspacesRoutesOptions {
  workspaces: WorkspacesService;
  authenticate: onRequestHookHandler;
}

const tags = ['workspaces'];
const security = [{ bearer: [] }];

function toWorkspaceRead(w: WorkspaceRecord) {
  return {
    id: w.id,
    name: w.name,
    description: w.description,
    organization_id: w.organization_id,
    created: w.created,
    updated: w.updated,
  };
}

export const workspacesRoutes: FastifyPluginAsyncTypebox<WorkspacesRoutesOptions> = async (
  app,
  { workspaces, authenticate },
) => {
  app.post(
    '/api/v1/organizations/:organization_id/workspaces',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'createWorkspace',
        summary: 'Create a workspace',
        description: 'Organization admins and editors.',
        tags,
        security,
        params: OrganizationIdParams,
        body: WorkspaceCreate,
        response: { 201: WorkspaceRead, ...errorResponses(401, 403, 404, 409, 413) },
      },
    },
    async (request, reply) => {
      const workspace = await workspaces.create(request.principal, request.params.organization_id, request.body);
      reply.code(201).header('location', `/api/v1/workspaces/${workspace.id}`);
      return toWorkspaceRead(workspace);
    },
  );

  app.get(
    '/api/v1/organizations/:organization_id/workspaces',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'listWorkspaces',
        summary: "List an organization's workspaces",
        description: 'Members of the organization.',
        tags,
        security,
        params: OrganizationIdParams,
        querystring: PageQuery,
        response: { 200: Type.Array(WorkspaceRead), ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const { offset, limit } = request.query;
      const found = await workspaces.listByOrganization(
        request.principal,
        request.params.organization_id,
        offset,
        limit,
      );
      return found.map(toWorkspaceRead);
    },
  );

  app.get(
    '/api/v1/workspaces/:workspace_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'getWorkspace',
        summary: 'Get a workspace',
        description: 'Members of its organization.',
        tags,
        security,
        params: WorkspaceIdParams,
        response: { 200: WorkspaceRead, ...errorResponses(401, 404) },
      },
    },
    async (request) => toWorkspaceRead(await workspaces.get(request.principal, request.params.workspace_id)),
  );

  app.patch(
    '/api/v1/workspaces/:workspace_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'updateWorkspace',
        summary: 'Update a workspace',
        description: 'Organization admins and workspace admins.',
        tags,
        security,
        params: WorkspaceIdParams,
        body: WorkspaceUpdate,
        response: { 200: WorkspaceRead, ...errorResponses(401, 403, 404, 409, 413) },
      },
    },
    async (request) =>
      toWorkspaceRead(await workspaces.update(request.principal, request.params.workspace_id, request.body)),
  );

  app.delete(
    '/api/v1/workspaces/:workspace_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'deleteWorkspace',
        summary: 'Delete a workspace',
        description: 'Organization admins and workspace admins. Removes its memberships.',
        tags,
        security,
        params: WorkspaceIdParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await workspaces.delete(request.principal, request.params.workspace_id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/workspaces/:workspace_id/members',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'listWorkspaceMembers',
        summary: 'List the members of a workspace',
        tags,
        security,
        params: WorkspaceIdParams,
        response: { 200: Type.Array(MemberRead), ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const members = await workspaces.members(request.principal, request.params.workspace_id);
      return members.map((m) => ({ user: toUserRead(m.user), role: m.role }));
    },
  );

  app.put(
    '/api/v1/workspaces/:workspace_id/members/:user_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'putWorkspaceMember',
        summary: 'Add a workspace member or change its role',
        description:
          "Organization admins and workspace admins. The user must be a member (or a service account) of the workspace's organization (400 otherwise).",
        tags,
        security,
        params: WorkspaceMemberParams,
        body: RoleBody,
        response: { 200: MemberRead, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { workspace_id, user_id } = request.params;
      const member = await workspaces.putMember(request.principal, workspace_id, user_id, request.body.role);
      return { user: toUserRead(member.user), role: member.role };
    },
  );

  app.delete(
    '/api/v1/workspaces/:workspace_id/members/:user_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'deleteWorkspaceMember',
        summary: 'Remove a workspace member',
        description: 'Organization admins and workspace admins; any member may remove itself.',
        tags,
        security,
        params: WorkspaceMemberParams,
        response: { 204: Type.Null({ description: 'Removed' }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await workspaces.removeMember(request.principal, request.params.workspace_id, request.params.user_id);
      return reply.code(204).send(null);
    },
  );
};
