import { v7 as uuidv7 } from 'uuid';
import type { Clock } from '../../clock.js';
import { uniqueAs } from '../../db/errors.js';
import type { Role } from '../../db/schema.js';
import { EntityExistsError, IllegalOperationError, KeyError, ValueError } from '../../domain/errors.js';
import * as access from '../../auth/access.js';
import type { Principal } from '../../auth/access.js';
import type { Repositories, Store } from '../../store.js';
import type { OrganizationsService } from '../organizations/organizations.service.js';
import type { UserRecord } from '../users/users.repository.js';
import type { WorkspaceRecord } from './workspaces.repository.js';
import type { WorkspaceCreate, WorkspaceUpdate } from './workspaces.schemas.js';

/** Workspaces inside organizations and their members (API.md 5.3). */
export class WorkspacesService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly organizations: OrganizationsService,
  ) {}

  async create(principal: Principal, organizationId: string, input: WorkspaceCreate): Promise<WorkspaceRecord> {
    return this.store.transaction(async (repos) => {
      // Under the organization's lock: a concurrent delete of it either waits or has already happened (404).
      await repos.organizations.lock(organizationId);
      const { organization, aff } = await this.organizations.readable(repos, principal, organizationId);
      if (!access.canCreateWorkspace(principal, aff, organizationId)) {
        throw new IllegalOperationError(
          `only admins and editors of organization ${organization.name} may create workspaces`,
        );
      }
      return this.write(() =>
        repos.workspaces.insert(
          { id: uuidv7(), organization_id: organizationId, name: input.name, description: input.description ?? null },
          this.now(),
        ),
      );
    });
  }

  async listByOrganization(principal: Principal, organizationId: string, offset: number, limit: number) {
    await this.organizations.readable(this.store.repos, principal, organizationId);
    return this.store.repos.workspaces.listByOrganization(organizationId, offset, limit);
  }

  async get(principal: Principal, workspaceId: string): Promise<WorkspaceRecord> {
    return (await this.readable(this.store.repos, principal, workspaceId)).workspace;
  }

  async update(principal: Principal, workspaceId: string, input: WorkspaceUpdate): Promise<WorkspaceRecord> {
    return this.store.transaction(async (repos) => {
      await this.administered(repos, principal, workspaceId);
      if (input.name !== undefined || input.description !== undefined) {
        await this.write(() => repos.workspaces.update(workspaceId, input, this.now()));
      }
      return (await repos.workspaces.findById(workspaceId))!;
    });
  }

  async delete(principal: Principal, workspaceId: string): Promise<void> {
    await this.store.transaction(async (repos) => {
      await this.administered(repos, principal, workspaceId);
      await repos.workspaces.delete(workspaceId);
    });
  }

  async members(principal: Principal, workspaceId: string) {
    await this.readable(this.store.repos, principal, workspaceId);
    return this.store.repos.workspaces.members(workspaceId);
  }

  /** Adds a member or changes its role; it must belong to the organization (or be one of its service accounts). */
  async putMember(
    principal: Principal,
    workspaceId: string,
    userId: string,
    role: Role,
  ): Promise<{ user: UserRecord; role: Role }> {
    return this.store.transaction(async (repos) => {
      const { workspace, aff } = await this.administered(repos, principal, workspaceId, true);
      // An account the caller may not see answers exactly like one that does not exist.
      const user = await repos.users.findByIdForUpdate(userId, access.userScope(principal, aff));
      if (!user) throw new KeyError(`user ${userId} not found`);
      const inOrganization =
        user.organization_id === workspace.organization_id ||
        (await repos.organizations.roleOf(workspace.organization_id, userId)) !== undefined;
      if (!inOrganization) {
        throw new ValueError(`user ${user.username} is not a member of the workspace's organization`);
      }
      await repos.workspaces.upsertMember(workspaceId, userId, role, this.now());
      return { user, role };
    });
  }

  async removeMember(principal: Principal, workspaceId: string, userId: string): Promise<void> {
    await this.store.transaction(async (repos) => {
      const { workspace, aff } = await this.readable(repos, principal, workspaceId);
      const ownRole = await repos.workspaces.roleOf(workspaceId, principal.user.id);
      const leaving = principal.user.id === userId && ownRole !== undefined;
      if (!leaving && !access.canAdministerWorkspace(principal, aff, workspace, ownRole)) {
        throw new IllegalOperationError(`only admins may remove members of workspace ${workspace.name}`);
      }
      if (!(await repos.workspaces.deleteMember(workspaceId, userId))) {
        throw new KeyError(`user ${userId} is not a member of workspace ${workspace.name}`);
      }
    });
  }

  /** The workspace if the caller may read its organization; 404 otherwise. */
  private async readable(repos: Repositories, principal: Principal, workspaceId: string) {
    const aff = await access.loadAffiliations(repos.organizations, principal);
    const found = await repos.workspaces.findById(workspaceId);
    const workspace = found && access.canReadOrganization(principal, aff, found.organization_id) ? found : undefined;
    if (!workspace) throw new KeyError(`workspace ${workspaceId} not found`);
    return { workspace, aff };
  }

  /**
   * The workspace if the caller may change it. With `lock`, its organization's
   * row is locked first, so membership checks see every committed change to the
   * organization's members (a member removed meanwhile is not added back here).
   */
  private async administered(repos: Repositories, principal: Principal, workspaceId: string, lock = false) {
    if (lock) {
      const workspace = await repos.workspaces.findById(workspaceId);
      if (workspace) await repos.organizations.lock(workspace.organization_id);
    }
    const found = await this.readable(repos, principal, workspaceId);
    const ownRole = await repos.workspaces.roleOf(workspaceId, principal.user.id);
    if (!access.canAdministerWorkspace(principal, found.aff, found.workspace, ownRole)) {
      throw new IllegalOperationError(`only admins may change workspace ${found.workspace.name}`);
    }
    return found;
  }

  private write<T>(work: () => Promise<T>): Promise<T> {
    return uniqueAs(work, () => new EntityExistsError('a workspace with this name already exists in the organization'));
  }

  private now(): string {
    return this.clock().toISOString();
  }
}
