import { v7 as uuidv7 } from 'uuid';
import * as access from '../../auth/access.js';
import type { AccessService, Principal } from '../../auth/access.js';
import type { Clock } from '../../clock.js';
import { uniqueAs } from '../../db/errors.js';
import type { Role } from '../../db/schema.js';
import type { Transactor, Tx } from '../../db/transactions.js';
import { EntityExistsError, KeyError, ValueError } from '../../domain/errors.js';
import type { UserRecord, WorkspaceRecord } from '../../domain/records.js';
import type { UsersService } from '../users/users.service.js';
import type { WorkspacesRepository } from './workspaces.repository.js';
import type { WorkspaceCreate, WorkspaceUpdate } from './workspaces.schemas.js';

/** Workspaces inside organizations and their members (API.md 5.3). */
export class WorkspacesService {
  constructor(
    private readonly unit: Transactor<{ workspaces: WorkspacesRepository }>,
    private readonly clock: Clock,
    private readonly access: AccessService,
    private readonly users: UsersService,
  ) {}

  async create(principal: Principal, organizationId: string, input: WorkspaceCreate): Promise<WorkspaceRecord> {
    return this.unit.run(async ({ workspaces }, tx) => {
      // Under the organization's lock: a concurrent delete of it either waits or has already happened (404).
      await this.access.organization(principal, organizationId, 'create-workspace', { tx, lock: true });
      return this.write(() =>
        workspaces.insert(
          { id: uuidv7(), organization_id: organizationId, name: input.name, description: input.description ?? null },
          this.now(),
        ),
      );
    });
  }

  async listByOrganization(principal: Principal, organizationId: string, offset: number, limit: number) {
    await this.access.organization(principal, organizationId, 'read');
    return this.unit.repos.workspaces.listByOrganization(organizationId, offset, limit);
  }

  async get(principal: Principal, workspaceId: string): Promise<WorkspaceRecord> {
    await this.access.workspace(principal, workspaceId, 'read');
    return this.found(workspaceId);
  }

  async update(principal: Principal, workspaceId: string, input: WorkspaceUpdate): Promise<WorkspaceRecord> {
    return this.unit.run(async ({ workspaces }, tx) => {
      await this.access.workspace(principal, workspaceId, 'administer', { tx });
      if (input.name !== undefined || input.description !== undefined) {
        await this.write(() => workspaces.update(workspaceId, input, this.now()));
      }
      return this.found(workspaceId, tx);
    });
  }

  async delete(principal: Principal, workspaceId: string): Promise<void> {
    await this.unit.run(async ({ workspaces }, tx) => {
      await this.access.workspace(principal, workspaceId, 'administer', { tx });
      await workspaces.delete(workspaceId);
    });
  }

  async members(principal: Principal, workspaceId: string) {
    await this.access.workspace(principal, workspaceId, 'read');
    return this.unit.repos.workspaces.members(workspaceId);
  }

  /** Adds a member or changes its role; it must belong to the organization (or be one of its service accounts). */
  async putMember(
    principal: Principal,
    workspaceId: string,
    userId: string,
    role: Role,
  ): Promise<{ user: UserRecord; role: Role }> {
    return this.unit.run(async ({ workspaces }, tx) => {
      const { workspace } = await this.access.workspace(principal, workspaceId, 'administer', { tx, lock: true });
      // An account the caller may not see answers exactly like one that does not exist.
      const user = await this.users.visible(principal, userId, { tx, lock: true });
      const inOrganization =
        user.organization_id === workspace.organization_id ||
        (await this.access.roleIn(workspace.organization_id, userId, tx)) !== undefined;
      if (!inOrganization) {
        throw new ValueError(`user ${user.username} is not a member of the workspace's organization`);
      }
      await workspaces.upsertMember(workspaceId, userId, role, this.now());
      return { user, role };
    });
  }

  async removeMember(principal: Principal, workspaceId: string, userId: string): Promise<void> {
    await this.unit.run(async ({ workspaces }, tx) => {
      const { workspace, aff, role } = await this.access.workspace(principal, workspaceId, 'read', { tx });
      const leaving = principal.user.id === userId && role !== undefined;
      this.access.require(
        leaving || access.canAdministerWorkspace(principal, aff, workspace, role),
        `only admins may remove members of workspace ${workspace.name}`,
      );
      if (!(await workspaces.deleteMember(workspaceId, userId))) {
        throw new KeyError(`user ${userId} is not a member of workspace ${workspace.name}`);
      }
    });
  }

  /** How many workspaces an organization has (it cannot be deleted while it has any). */
  countIn(organizationId: string, tx?: Tx): Promise<number> {
    return this.unit.on(tx).workspaces.countByOrganization(organizationId);
  }

  /** Removes an account from every workspace of an organization it leaves, in the caller's transaction. */
  async removeFromOrganization(organizationId: string, userId: string, tx: Tx): Promise<void> {
    await this.unit.on(tx).workspaces.deleteMembershipsInOrganization(organizationId, userId);
  }

  private async found(workspaceId: string, tx?: Tx): Promise<WorkspaceRecord> {
    const workspace = await this.unit.on(tx).workspaces.findById(workspaceId);
    if (!workspace) throw new KeyError(`workspace ${workspaceId} not found`);
    return workspace;
  }

  private write<T>(work: () => Promise<T>): Promise<T> {
    return uniqueAs(work, () => new EntityExistsError('a workspace with this name already exists in the organization'));
  }

  private now(): string {
    return this.clock().toISOString();
  }
}
