import { newId } from '../../domain/ids.js';
import * as access from '../../auth/access.js';
import { eventBy, type AccessService, type Principal } from '../../auth/access.js';
import type { Clock } from '../../clock.js';
import { uniqueAs } from '../../db/errors.js';
import type { Role } from '../../db/schema.js';
import type { Transactor, Tx } from '../../db/transactions.js';
import { EntityExistsError, KeyError, ValueError } from '../../domain/errors.js';
import { type Changes, changesOf, type EventDraft } from '../../domain/events.js';
import type { UserRecord, WorkspaceRecord } from '../../domain/records.js';
import type { EventsService } from '../events/events.service.js';
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
    private readonly events: EventsService,
  ) {}

  async create(principal: Principal, organizationId: string, input: WorkspaceCreate): Promise<WorkspaceRecord> {
    return this.unit.run(async ({ workspaces }, tx) => {
      // Under the organization's lock: a concurrent delete of it either waits or has already happened (404).
      await this.access.organization(principal, organizationId, 'create-workspace', { tx, lock: true });
      const workspace = await this.write(() =>
        workspaces.insert(
          { id: newId(), organization_id: organizationId, name: input.name, description: input.description ?? null },
          this.now(),
        ),
      );
      this.events.record(tx, workspaceEvent('workspace.created', principal, null, workspace));
      return workspace;
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
      await this.access.workspace(principal, workspaceId, 'administer', { tx, lock: true });
      if (input.name === undefined && input.description === undefined) return this.found(workspaceId, tx);
      const before = await this.found(workspaceId, tx);
      await this.write(() => workspaces.update(workspaceId, input, this.now()));
      const after = await this.found(workspaceId, tx);
      const event = workspaceEvent('workspace.updated', principal, before, after);
      if (Object.keys(event.changes ?? {}).length > 0) this.events.record(tx, event);
      return after;
    });
  }

  async delete(principal: Principal, workspaceId: string): Promise<void> {
    await this.unit.run(async ({ workspaces }, tx) => {
      // Under the organization's lock: two deletes at once answer 204 and 404, with one event.
      await this.access.workspace(principal, workspaceId, 'administer', { tx, lock: true });
      const before = await this.found(workspaceId, tx);
      await workspaces.delete(workspaceId);
      this.events.record(tx, workspaceEvent('workspace.deleted', principal, before, null));
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
      const current = await this.access.workspaceRoleOf(workspaceId, userId, tx);
      // An account the caller may not see answers exactly like one that does not exist.
      const user = await this.users.visible(principal, userId, { tx, lock: true });
      const inOrganization =
        user.organization_id === workspace.organization_id ||
        (await this.access.roleIn(workspace.organization_id, userId, tx)) !== undefined;
      if (!inOrganization) {
        throw new ValueError(`user ${user.username} is not a member of the workspace's organization`);
      }
      await workspaces.upsertMember(workspaceId, userId, role, this.now());
      if (current !== role) {
        const type = current === undefined ? 'workspace.member_added' : 'workspace.member_updated';
        this.events.record(tx, memberEvent(type, principal, workspace, userId, { role: [current ?? null, role] }));
      }
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
      const removed = await this.access.workspaceRoleOf(workspaceId, userId, tx);
      if (removed === undefined || !(await workspaces.deleteMember(workspaceId, userId))) {
        throw new KeyError(`user ${userId} is not a member of workspace ${workspace.name}`);
      }
      this.events.record(
        tx,
        memberEvent('workspace.member_removed', principal, workspace, userId, { role: [removed, null] }),
      );
    });
  }

  /** How many workspaces an organization has (it cannot be deleted while it has any). */
  countIn(organizationId: string, tx?: Tx): Promise<number> {
    return this.unit.on(tx).workspaces.countByOrganization(organizationId);
  }

  /** Removes an account from every workspace of an organization it leaves, in the caller's transaction. */
  async removeFromOrganization(principal: Principal, organizationId: string, userId: string, tx: Tx): Promise<void> {
    const { workspaces } = this.unit.on(tx);
    for (const membership of await workspaces.membershipsInOrganization(organizationId, userId)) {
      const workspace = { id: membership.workspace_id, organization_id: organizationId };
      const changes: Changes = { role: [membership.role, null] };
      this.events.record(tx, memberEvent('workspace.member_removed', principal, workspace, userId, changes));
    }
    await workspaces.deleteMembershipsInOrganization(organizationId, userId);
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

function workspaceEvent(
  type: EventDraft['type'],
  principal: Principal,
  before: WorkspaceRecord | null,
  after: WorkspaceRecord | null,
): EventDraft {
  const { id, organization_id } = (after ?? before)!;
  const changes = changesOf(before, after, ['name', 'description']);
  return eventBy(principal, type, { type: 'workspace', id }, organization_id, changes);
}

/** An event about a workspace membership: the member is the target; `workspace_id` says where. */
function memberEvent(
  type: EventDraft['type'],
  principal: Principal,
  workspace: { id: string; organization_id: string },
  userId: string,
  changes: Changes,
): EventDraft {
  // The workspace is named as a change of the member's workspaces.
  const where: Changes = {
    workspace_id: [
      type === 'workspace.member_added' ? null : workspace.id,
      type === 'workspace.member_removed' ? null : workspace.id,
    ],
  };
  return eventBy(principal, type, { type: 'user', id: userId }, workspace.organization_id, { ...where, ...changes });
}
