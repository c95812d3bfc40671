import { newId } from '../../domain/ids.js';
import type { Clock } from '../../clock.js';
import { eventBy, type AccessService, type Principal } from '../../auth/access.js';
import type { Role } from '../../db/schema.js';
import type { Transactor } from '../../db/transactions.js';
import { EntityExistsError, InvalidInput, KeyError, ValueError } from '../../domain/errors.js';
import type { Changes, EventDraft } from '../../domain/events.js';
import type { UserRecord } from '../../domain/records.js';
import type { EventsService } from '../events/events.service.js';
import type { OrganizationsService } from '../organizations/organizations.service.js';
import type { UsersService } from '../users/users.service.js';
import type { InvitationRecord, InvitationsRepository } from './invitations.repository.js';
import type { InvitationCreate } from './invitations.schemas.js';

/** How long an invitation stays open. */
export const INVITATION_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Invitations (API.md 5.4): organization admins invite an account or an
 * email address; nobody becomes a member, or visible to the organization,
 * until it accepts.
 */
export class InvitationsService {
  constructor(
    private readonly unit: Transactor<{ invitations: InvitationsRepository }>,
    private readonly clock: Clock,
    private readonly access: AccessService,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly events: EventsService,
  ) {}

  /**
   * By `user_id`: only an account the caller can see (404 otherwise, as for
   * one that does not exist). By `email`: 201 whether or not an account has it.
   * A member, or a pending invitation for the same invitee: 409. A service account: 400.
   */
  async create(principal: Principal, organizationId: string, input: InvitationCreate): Promise<InvitationRecord> {
    if ((input.email === undefined) === (input.user_id === undefined)) {
      throw new InvalidInput(['body'], 'value_error', 'Value error, give exactly one of email and user_id');
    }
    return this.unit.run(async ({ invitations }, tx) => {
      const { organization } = await this.access.organization(principal, organizationId, 'administer', {
        tx,
        lock: true,
      });
      const now = this.clock();
      let email: string | null = null;
      let userId: string | null = null;
      if (input.user_id !== undefined) {
        const invitee = await this.users.visible(principal, input.user_id, { tx });
        if (invitee.is_service_account)
          throw new ValueError('service accounts belong to their organization and cannot be invited');
        if ((await this.access.roleIn(organizationId, invitee.id, tx)) !== undefined) {
          throw new EntityExistsError(
            `user ${invitee.username} is already a member of organization ${organization.name}`,
          );
        }
        if (await invitations.findPending(organizationId, { userId: invitee.id }, now.toISOString())) {
          throw new EntityExistsError(
            `user ${invitee.username} already has a pending invitation to organization ${organization.name}`,
          );
        }
        userId = invitee.id;
      } else {
        email = input.email!;
        if (await this.organizations.hasMemberWithVerifiedEmail(organizationId, email, tx)) {
          throw new EntityExistsError(`${email} is already a member of organization ${organization.name}`);
        }
        if (await invitations.findPending(organizationId, { email }, now.toISOString())) {
          throw new EntityExistsError(`${email} already has a pending invitation to organization ${organization.name}`);
        }
      }
      const invitation = await invitations.insert({
        id: newId(),
        organization_id: organizationId,
        role: input.role,
        email,
        user_id: userId,
        invited_by: principal.user.id,
        created: now.toISOString(),
        expires: new Date(now.getTime() + INVITATION_TTL_SECONDS * 1000).toISOString(),
      });
      this.events.record(
        tx,
        invitationEvent('invitation.created', principal, invitation, {
          role: [null, invitation.role],
          ...(email !== null ? { email: [null, email] } : {}),
          ...(userId !== null ? { user_id: [null, userId] } : {}),
        }),
      );
      return invitation;
    });
  }

  /** The organization's invitations, every status, for its admins. */
  async listForOrganization(principal: Principal, organizationId: string): Promise<InvitationRecord[]> {
    await this.access.organization(principal, organizationId, 'administer');
    const now = this.now();
    return (await this.unit.repos.invitations.listByOrganization(organizationId)).map((i) => withExpiry(i, now));
  }

  /** Admins revoke a pending invitation; one of another organization answers 404. */
  async revoke(principal: Principal, organizationId: string, invitationId: string): Promise<void> {
    await this.unit.run(async ({ invitations }, tx) => {
      await this.access.organization(principal, organizationId, 'administer', { tx, lock: true });
      const found = await invitations.findById(invitationId);
      if (!found || found.organization_id !== organizationId)
        throw new KeyError(`invitation ${invitationId} not found`);
      const invitation = withExpiry(found, this.now());
      if (invitation.status !== 'pending')
        throw new ValueError(`invitation ${invitationId} is ${invitation.status}, not pending`);
      if (!(await invitations.answer(invitationId, 'revoked', this.now()))) {
        throw new ValueError(`invitation ${invitationId} is no longer pending`);
      }
      this.events.record(tx, invitationEvent('invitation.revoked', principal, invitation, answered('revoked')));
    });
  }

  /** The caller's pending invitations: to its account, or to its verified email. */
  async listMine(principal: Principal): Promise<InvitationRecord[]> {
    if (principal.user.is_service_account) return [];
    return this.unit.repos.invitations.listPendingFor(principal.user.id, verifiedEmail(principal.user), this.now());
  }

  /** The invitee joins with the invited role. */
  async accept(principal: Principal, invitationId: string): Promise<{ user: UserRecord; role: Role }> {
    return this.unit.run(async ({ invitations }, tx) => {
      const invitation = await this.addressed(principal, invitationId, invitations);
      await this.access.lockOrganization(invitation.organization_id, tx);
      // Answered once: a concurrent accept, decline or revoke that got there first wins.
      if (!(await invitations.answer(invitation.id, 'accepted', this.now()))) {
        throw new ValueError(`invitation ${invitationId} is no longer pending`);
      }
      this.events.record(tx, invitationEvent('invitation.accepted', principal, invitation, answered('accepted')));
      const role = await this.organizations.join(principal, invitation.organization_id, invitation.role, tx);
      const user = await this.users.byId(principal.user.id, tx);
      return { user, role };
    });
  }

  async decline(principal: Principal, invitationId: string): Promise<void> {
    await this.unit.run(async ({ invitations }, tx) => {
      const invitation = await this.addressed(principal, invitationId, invitations);
      if (!(await invitations.answer(invitation.id, 'declined', this.now()))) {
        throw new ValueError(`invitation ${invitationId} is no longer pending`);
      }
      this.events.record(tx, invitationEvent('invitation.declined', principal, invitation, answered('declined')));
    });
  }

  /** An invitation addressed to the caller and still pending; 404 for anyone else, 400 when answered or expired. */
  private async addressed(
    principal: Principal,
    invitationId: string,
    invitations: InvitationsRepository,
  ): Promise<InvitationRecord> {
    const found = await invitations.findById(invitationId);
    const email = verifiedEmail(principal.user);
    const mine =
      found !== undefined &&
      !principal.user.is_service_account &&
      (found.user_id === principal.user.id ||
        (found.email !== null && email !== null && found.email.toLowerCase() === email.toLowerCase()));
    if (!mine) throw new KeyError(`invitation ${invitationId} not found`);
    const invitation = withExpiry(found, this.now());
    if (invitation.status !== 'pending')
      throw new ValueError(`invitation ${invitationId} is ${invitation.status}, not pending`);
    return invitation;
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

function verifiedEmail(user: UserRecord): string | null {
  return user.email !== null && user.email_verified ? user.email : null;
}

/** A pending invitation past its expiry reads as `expired`. */
function withExpiry(invitation: InvitationRecord, now: string): InvitationRecord {
  return invitation.status === 'pending' && invitation.expires <= now
    ? { ...invitation, status: 'expired' }
    : invitation;
}

const answered = (status: string): Changes => ({ status: ['pending', status] });

function invitationEvent(
  type: EventDraft['type'],
  principal: Principal,
  invitation: InvitationRecord,
  changes: Changes,
): EventDraft {
  return eventBy(principal, type, { type: 'invitation', id: invitation.id }, invitation.organization_id, changes);
}
