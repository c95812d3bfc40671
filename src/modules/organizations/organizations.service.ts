import { v7 as uuidv7 } from 'uuid';
import type { Clock } from '../../clock.js';
import { uniqueAs } from '../../db/errors.js';
import type { Role } from '../../db/schema.js';
import { EntityExistsError, IllegalOperationError, KeyError, ValueError } from '../../domain/errors.js';
import * as access from '../../auth/access.js';
import type { Affiliations, Principal } from '../../auth/access.js';
import type { Repositories, Store } from '../../store.js';
import { removeAccount, type UsersService } from '../users/users.service.js';
import type { UserRecord } from '../users/users.repository.js';
import type { MemberRecord, OrganizationRecord } from './organizations.repository.js';
import type { OrganizationCreate, OrganizationUpdate, ServiceAccountCreate } from './organizations.schemas.js';

/** Organizations, their members and service accounts (API.md 5.1, 5.2). */
export class OrganizationsService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly users: UsersService,
  ) {}

  async create(principal: Principal, input: OrganizationCreate): Promise<OrganizationRecord> {
    if (!access.canCreateOrganization(principal)) {
      throw new IllegalOperationError('service accounts cannot create organizations');
    }
    return this.store.transaction(async (repos) => {
      const now = this.now();
      const organization = await this.write(() =>
        repos.organizations.insert({ id: uuidv7(), name: input.name, description: input.description ?? null }, now),
      );
      await repos.organizations.upsertMember(organization.id, principal.user.id, 'admin', now);
      return organization;
    });
  }

  async list(principal: Principal, offset: number, limit: number): Promise<OrganizationRecord[]> {
    const aff = await access.loadAffiliations(this.store.repos.organizations, principal);
    const ids = principal.user.is_superuser ? undefined : [...aff.organizationIds];
    return this.store.repos.organizations.list(ids, offset, limit);
  }

  async get(principal: Principal, organizationId: string): Promise<OrganizationRecord> {
    return (await this.readable(this.store.repos, principal, organizationId)).organization;
  }

  async update(principal: Principal, organizationId: string, input: OrganizationUpdate): Promise<OrganizationRecord> {
    return this.store.transaction(async (repos) => {
      await this.administered(repos, principal, organizationId, true);
      if (input.name !== undefined || input.description !== undefined) {
        await this.write(() => repos.organizations.update(organizationId, input, this.now()));
      }
      return (await repos.organizations.findById(organizationId))!;
    });
  }

  /** Deletes an organization without workspaces, with its memberships and service accounts. */
  async delete(principal: Principal, organizationId: string): Promise<void> {
    await this.store.transaction(async (repos) => {
      const { organization } = await this.administered(repos, principal, organizationId, true);
      const workspaces = await repos.workspaces.countByOrganization(organizationId);
      if (workspaces > 0) {
        throw new IllegalOperationError(
          `organization ${organization.name} still has ${workspaces} workspace(s); delete them first`,
        );
      }
      for (const serviceAccountId of await repos.users.serviceAccountIdsOf(organizationId)) {
        await removeAccount(repos, serviceAccountId);
      }
      await repos.organizations.delete(organizationId);
    });
  }

  async members(principal: Principal, organizationId: string): Promise<MemberRecord[]> {
    await this.readable(this.store.repos, principal, organizationId);
    return this.store.repos.organizations.members(organizationId);
  }

  /**
   * Changes a member's role; the last admin cannot be demoted. Adding an account
   * that is not a member is for superusers only (API.md 5.1): admins invite, and
   * nobody joins without accepting. To an admin, every non-member (unknown id,
   * service account, person) answers the same 403.
   */
  async putMember(principal: Principal, organizationId: string, userId: string, role: Role): Promise<MemberRecord> {
    return this.store.transaction(async (repos) => {
      const { organization } = await this.administered(repos, principal, organizationId, true);
      const current = await repos.organizations.roleOf(organizationId, userId);
      if (current === undefined && !access.canAddMembersDirectly(principal)) {
        throw new IllegalOperationError(
          `user ${userId} is not a member of organization ${organization.name}; invite them (POST /api/v1/organizations/${organization.id}/invitations)`,
        );
      }
      // The account's row is locked too: a delete of it waits, or has already happened (404).
      const user = await repos.users.findByIdForUpdate(userId, { kind: 'all' });
      if (!user) throw new KeyError(`user ${userId} not found`);
      if (user.is_service_account) {
        throw new ValueError('service accounts belong to their organization and are not added as members');
      }
      if (current === 'admin' && role !== 'admin' && (await repos.organizations.countAdmins(organizationId)) === 1) {
        throw new IllegalOperationError(`user ${user.username} is the last admin of organization ${organization.name}`);
      }
      await repos.organizations.upsertMember(organizationId, userId, role, this.now());
      return { user, role };
    });
  }

  /** Removes a member (admins, or the member itself) and its memberships in the organization's workspaces. */
  async removeMember(principal: Principal, organizationId: string, userId: string): Promise<void> {
    await this.store.transaction(async (repos) => {
      await repos.organizations.lock(organizationId);
      const { organization, aff } = await this.readable(repos, principal, organizationId);
      if (
        !access.canAdministerOrganization(principal, aff, organizationId) &&
        !access.canLeaveOrganization(principal, aff, organizationId, userId)
      ) {
        throw new IllegalOperationError(`only admins of organization ${organization.name} may remove its members`);
      }
      const role = await repos.organizations.roleOf(organizationId, userId);
      if (!role) throw new KeyError(`user ${userId} is not a member of organization ${organization.name}`);
      if (role === 'admin' && (await repos.organizations.countAdmins(organizationId)) === 1) {
        throw new IllegalOperationError(
          `the last admin of organization ${organization.name} cannot leave; hand the organization over or delete it first`,
        );
      }
      await repos.workspaces.deleteMembershipsInOrganization(organizationId, userId);
      await repos.organizations.deleteMember(organizationId, userId);
    });
  }

  async createServiceAccount(
    principal: Principal,
    organizationId: string,
    input: ServiceAccountCreate,
  ): Promise<UserRecord> {
    return this.store.transaction(async (repos) => {
      await this.administered(repos, principal, organizationId, true);
      return this.users.createServiceAccount(repos, organizationId, input);
    });
  }

  /** The organization if the caller may read it; 404 otherwise, exactly as if it did not exist. */
  async readable(
    repos: Repositories,
    principal: Principal,
    organizationId: string,
  ): Promise<{ organization: OrganizationRecord; aff: Affiliations }> {
    const aff = await access.loadAffiliations(repos.organizations, principal);
    const organization = access.canReadOrganization(principal, aff, organizationId)
      ? await repos.organizations.findById(organizationId)
      : undefined;
    if (!organization) throw new KeyError(`organization ${organizationId} not found`);
    return { organization, aff };
  }

  /**
   * The organization if the caller administers it; 404 when it may not read it,
   * 403 when it may only read it. With `lock`, the organization's row is locked
   * first, so the caller's role is read after any concurrent change to it and
   * every change to the organization's members, service accounts and
   * workspaces queues behind this transaction.
   */
  async administered(repos: Repositories, principal: Principal, organizationId: string, lock = false) {
    if (lock) await repos.organizations.lock(organizationId);
    const found = await this.readable(repos, principal, organizationId);
    if (!access.canAdministerOrganization(principal, found.aff, organizationId)) {
      throw new IllegalOperationError(`only admins of organization ${found.organization.name} may do this`);
    }
    return found;
  }

  private write<T>(work: () => Promise<T>): Promise<T> {
    return uniqueAs(work, () => new EntityExistsError('an organization with this name already exists'));
  }

  private now(): string {
    return this.clock().toISOString();
  }
}
