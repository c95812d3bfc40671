import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { onRequestHookHandler } from 'fastify';
import { MemberRead, errorResponses } from '../../http/schemas.js';
import { OrganizationIdParams } from '../organizations/organizations.schemas.js';
import { toUserRead } from '../users/users.mapper.js';
import type { InvitationRecord } from '../../domain/records.js';
import {
  InvitationCreate,
  InvitationIdParams,
  InvitationRead,
  OrganizationInvitationParams,
} from './invitations.schemas.js';
import type { InvitationsService } from './invitations.service.js';

export interface InvitationsRoutesOptions {
  invitations: InvitationsService;
  authenticate: onRequestHookHandler;
}

const tags = ['invitations'];
const security = [{ bearer: [] }];

function toInvitationRead(invitation: InvitationRecord): InvitationRead {
  return { ...invitation };
}

export const invitationsRoutes: FastifyPluginAsyncTypebox<InvitationsRoutesOptions> = async (
  app,
  { invitations, authenticate },
) => {
  app.post(
    '/api/v1/organizations/:organization_id/invitations',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'createInvitation',
        summary: 'Invite an account or an email address',
        description:
          'Admins. By user_id: only an account the caller can see (404 otherwise). By email: 201 whether or not an account has it (no enumeration). A member or a pending duplicate: 409; a service account: 400. Expires after 7 days.',
        tags,
        security,
        params: OrganizationIdParams,
        body: InvitationCreate,
        response: { 201: InvitationRead, ...errorResponses(400, 401, 403, 404, 409, 413) },
      },
    },
    async (request, reply) => {
      const invitation = await invitations.create(request.principal, request.params.organization_id, request.body);
      reply.code(201);
      return toInvitationRead(invitation);
    },
  );

  app.get(
    '/api/v1/organizations/:organization_id/invitations',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'listInvitations',
        summary: "List an organization's invitations",
        description: 'Admins; every status, oldest first.',
        tags,
        security,
        params: OrganizationIdParams,
        response: {
          200: Type.Array(InvitationRead, { description: 'The invitations' }),
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (request) =>
      (await invitations.listForOrganization(request.principal, request.params.organization_id)).map(toInvitationRead),
  );

  app.delete(
    '/api/v1/organizations/:organization_id/invitations/:invitation_id',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'revokeInvitation',
        summary: 'Revoke an invitation',
        description: 'Admins revoke a pending invitation (400 when it is no longer pending).',
        tags,
        security,
        params: OrganizationInvitationParams,
        response: { 204: Type.Null({ description: 'Revoked' }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await invitations.revoke(request.principal, request.params.organization_id, request.params.invitation_id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/users/me/invitations',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'listMyInvitations',
        summary: 'My pending invitations',
        description: "The caller's pending invitations: to its account, or to its verified email.",
        tags,
        security,
        response: {
          200: Type.Array(InvitationRead, { description: 'The pending invitations' }),
          ...errorResponses(401),
        },
      },
    },
    async (request) => (await invitations.listMine(request.principal)).map(toInvitationRead),
  );

  app.post(
    '/api/v1/invitations/:invitation_id/accept',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'acceptInvitation',
        summary: 'Accept an invitation',
        description:
          'The invitee becomes a member with the invited role. Anyone else: 404; expired or no longer pending: 400.',
        tags,
        security,
        params: InvitationIdParams,
        response: { 200: MemberRead, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const member = await invitations.accept(request.principal, request.params.invitation_id);
      return { user: toUserRead(member.user), role: member.role };
    },
  );

  app.post(
    '/api/v1/invitations/:invitation_id/decline',
    {
      onRequest: authenticate,
      schema: {
        operationId: 'declineInvitation',
        summary: 'Decline an invitation',
        description: 'The invitee declines. Anyone else: 404; expired or no longer pending: 400.',
        tags,
        security,
        params: InvitationIdParams,
        response: { 204: Type.Null({ description: 'Declined' }), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await invitations.decline(request.principal, request.params.invitation_id);
      return reply.code(204).send(null);
    },
  );
};
