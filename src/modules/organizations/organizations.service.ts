import { newId } from '../../domain/ids.js';
import * as access from '../../auth/access.js';
import { eventBy, type AccessService, type Principal } from '../../auth/access.js';
import type { Clock } from '../../clock.js';
import { uniqueAs } from '../../db/errors.js';
import type { Role } from '../../db/schema.js';
import type { Transactor, Tx } from '../../db/transactions.js';
import { EntityExistsError, IllegalOperationError, KeyError, ValueError } from '../../domain/errors.js';
import { type Changes, changesOf, type EventDraft } from '../../domain/events.js';
import type { UserRecord } from '../../domain/records.js';
import { isUuid } from '../../domain/text.js';
import type { EventsService } from '../events/events.service.js';
import type { ServiceAccountCreate } from '../users/users.schemas.js';
import type { UsersService } from '../users/users.service.js';
import type { WorkspacesService } from '../workspaces/workspaces.service.js';
import type { MemberRecord, OrganizationRecord, OrganizationsRepository } from './organizations.repository.js';
import type { OrganizationCreate, OrganizationUpdate } from './organizations.schemas.js';

/** Organizations, their members and service accounts (API.md 5.1, 5.2). */
export class OrganizationsService {
  constructor(
    private readonly unit: Transactor<{ organizations: OrganizationsRepository }>,
    private readonly clock: Clock,
    private readonly access: AccessService,
    private readonly users: UsersService,
    private readonly workspaces: WorkspacesService,
    private readonly events: EventsService,
  ) {}

  async create(principal: Principal, input: OrganizationCreate): Promise<OrganizationRecord> {
    this.access.require(access.canCreateOrganization(principal), 'service accounts cannot create organizations');
    namable(input.name);
    return this.unit.run(async ({ organizations }, tx) => {
      const now = this.now();
      const organization = await this.write(() =>
        organizations.insert({ id: newId(), name: input.name, description: input.description ?? null }, now),
      );
      await organizations.upsertMember(organization.id, principal.user.id, 'admin', now);
      this.events.record(tx, organizationEvent('organization.created', principal, null, organization));
      this.events.record(
        tx,
        memberEvent('organization.member_added', principal, organization.id, principal.user.id, {
          role: [null, 'admin'],
        }),
      );
      return organization;
    });
  }

  async list(principal: Principal, offset: number, limit: number): Promise<OrganizationRecord[]> {
    const aff = await this.access.affiliations(principal);
    const ids = principal.user.is_superuser ? undefined : [...aff.organizationIds];
    return this.unit.repos.organizations.list(ids, offset, limit);
  }

  async get(principal: Principal, organizationId: string): Promise<OrganizationRecord> {
    await this.access.organization(principal, organizationId, 'read');
    return this.found(organizationId);
  }

  async update(principal: Principal, organizationId: string, input: OrganizationUpdate): Promise<OrganizationRecord> {
    if (input.name !== undefined) namable(input.name);
    return this.unit.run(async ({ organizations }, tx) => {
      await this.access.organization(principal, organizationId, 'administer', { tx, lock: true });
      if (input.name === undefined && input.description === undefined) return this.found(organizationId, tx);
      const before = await this.found(organizationId, tx);
      await this.write(() => organizations.update(organizationId, input, this.now()));
      const after = await this.found(organizationId, tx);
      const event = organizationEvent('organization.updated', principal, before, after);
      if (Object.keys(event.changes ?? {}).length > 0) this.events.record(tx, event);
      return after;
    });
  }

  /** Deletes an organization without workspaces, with its memberships and service accounts. */
  async delete(principal: Principal, organizationId: string): Promise<void> {
    await this.unit.run(async ({ organizations }, tx) => {
      const { organization } = await this.access.organization(principal, organizationId, 'administer', {
        tx,
        lock: true,
      });
      const workspaces = await this.workspaces.countIn(organizationId, tx);
      if (workspaces > 0) {
        throw new IllegalOperationError(
          `organization ${organization.name} still has ${workspaces} workspace(s); delete them first`,
        );
      }
      const before = await this.found(organizationId, tx);
      await this.users.deleteServiceAccountsOf(principal, organizationId, tx);
      await organizations.delete(organizationId);
      this.events.record(tx, organizationEvent('organization.deleted', principal, before, null));
    });
  }

  async members(principal: Principal, organizationId: string): Promise<MemberRecord[]> {
    await this.access.organization(principal, organizationId, 'read');
    return this.unit.repos.organizations.members(organizationId);
  }

  /**
   * Changes a member's role; the last admin cannot be demoted. Adding an account
   * that is not a member is for superusers only (API.md 5.1): admins invite, and
   * nobody joins without accepting. To an admin, every non-member (unknown id,
   * service account, person) answers the same 403.
   */
  async putMember(principal: Principal, organizationId: string, userId: string, role: Role): Promise<MemberRecord> {
    return this.unit.run(async ({ organizations }, tx) => {
      const { organization } = await this.access.organization(principal, organizationId, 'administer', {
        tx,
        lock: true,
      });
      const current = await this.access.roleIn(organizationId, userId, tx);
      if (current === undefined && !access.canAddMembersDirectly(principal)) {
        throw new IllegalOperationError(
          `user ${userId} is not a member of organization ${organization.name}; invite them (POST /api/v1/organizations/${organization.id}/invitations)`,
        );
      }
      // The account's row is locked too: a delete of it waits, or has already happened (404).
      const user = await this.users.visible(principal, userId, { tx, lock: true });
      if (user.is_service_account) {
        throw new ValueError('service accounts belong to their organization and are not added as members');
      }
      if (current === 'admin' && role !== 'admin' && (await organizations.countAdmins(organizationId)) === 1) {
        throw new IllegalOperationError(`user ${user.username} is the last admin of organization ${organization.name}`);
      }
      await organizations.upsertMember(organizationId, userId, role, this.now());
      if (current !== role) {
        const type = current === undefined ? 'organization.member_added' : 'organization.member_updated';
        this.events.record(tx, memberEvent(type, principal, organizationId, userId, { role: [current ?? null, role] }));
      }
      return { user, role };
    });
  }

  /**
   * Makes an account a member with `role` unless it is one already (an accepted
   * invitation), in the caller's transaction (which holds the organization's lock).
   * Answers the role it has.
   */
  async join(principal: Principal, organizationId: string, role: Role, tx: Tx): Promise<Role> {
    const userId = principal.user.id;
    const current = await this.access.roleIn(organizationId, userId, tx);
    if (current !== undefined) return current;
    await this.unit.on(tx).organizations.upsertMember(organizationId, userId, role, this.now());
    this.events.record(
      tx,
      memberEvent('organization.member_added', principal, organizationId, userId, { role: [null, role] }),
    );
    return role;
  }

  /** Whether a member of the organization has this email, verified (invitations by email). */
  hasMemberWithVerifiedEmail(organizationId: string, email: string, tx?: Tx): Promise<boolean> {
    return this.unit.on(tx).organizations.hasMemberWithVerifiedEmail(organizationId, email);
  }

  /** Removes a member (admins, or the member itself) and its memberships in the organization's workspaces. */
  async removeMember(principal: Principal, organizationId: string, userId: string): Promise<void> {
    await this.unit.run(async ({ organizations }, tx) => {
      const { organization, aff } = await this.access.organization(principal, organizationId, 'read', {
        tx,
        lock: true,
      });
      this.access.require(
        access.canAdministerOrganization(principal, aff, organizationId) ||
          access.canLeaveOrganization(principal, aff, organizationId, userId),
        `only admins of organization ${organization.name} may remove its members`,
      );
      const role = await this.access.roleIn(organizationId, userId, tx);
      if (!role) throw new KeyError(`user ${userId} is not a member of organization ${organization.name}`);
      if (role === 'admin' && (await organizations.countAdmins(organizationId)) === 1) {
        throw new IllegalOperationError(
          `the last admin of organization ${organization.name} cannot leave; hand the organization over or delete it first`,
        );
      }
      await this.workspaces.removeFromOrganization(principal, organizationId, userId, tx);
      await organizations.deleteMember(organizationId, userId);
      this.events.record(
        tx,
        memberEvent('organization.member_removed', principal, organizationId, userId, { role: [role, null] }),
      );
    });
  }

  async createServiceAccount(
    principal: Principal,
    organizationId: string,
    input: ServiceAccountCreate,
  ): Promise<UserRecord> {
    return this.unit.run(async (_repos, tx) => {
      await this.access.organization(principal, organizationId, 'administer', { tx, lock: true });
      return this.users.createServiceAccount(principal, tx, organizationId, input);
    });
  }

  private async found(organizationId: string, tx?: Tx): Promise<OrganizationRecord> {
    const organization = await this.unit.on(tx).organizations.findById(organizationId);
    if (!organization) throw new KeyError(`organization ${organizationId} not found`);
    return organization;
  }

  private write<T>(work: () => Promise<T>): Promise<T> {
    return uniqueAs(work, () => new EntityExistsError('an organization with this name already exists'));
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

/** Paths name organizations by id or by name: a name shaped like a UUID would be read as an id. */
function namable(name: string): void {
  if (isUuid(name)) throw new ValueError('an organization name cannot be a UUID (paths read a UUID as an id)');
}

function organizationEvent(
  type: EventDraft['type'],
  principal: Principal,
  before: OrganizationRecord | null,
  after: OrganizationRecord | null,
): EventDraft {
  const { id } = (after ?? before)!;
  return eventBy(principal, type, { type: 'organization', id }, id, changesOf(before, after, ['name', 'description']));
}

/** An event about a membership: the member is the target, the organization is where it happened. */
function memberEvent(
  type: EventDraft['type'],
  principal: Principal,
  organizationId: string,
  userId: string,
  changes: Changes,
): EventDraft {
  return eventBy(principal, type, { type: 'user', id: userId }, organizationId, changes);
}
