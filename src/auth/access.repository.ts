import type { Role } from '../db/schema.js';
import type { Executor } from '../db/transactions.js';

/** What the access rules need to know of an organization or a workspace: that it exists, its name. */
export interface OrganizationRef {
  id: string;
  name: string;
}

export interface WorkspaceRef {
  id: string;
  organization_id: string;
  name: string;
}

/**
 * The reads behind access decisions (memberships, roles, the resources they
 * are about), and the organization lock that orders changes to them. Read only
 * but for that lock: the modules own the writes.
 */
export class AccessRepository {
  constructor(private readonly db: Executor) {}

  /** The organizations `userId` is a member of, with its role in each. */
  async membershipsOf(userId: string): Promise<{ organization_id: string; role: Role }[]> {
    return this.db
      .selectFrom('organization_members')
      .select(['organization_id', 'role'])
      .where('user_id', '=', userId)
      .orderBy('organization_id')
      .execute();
  }

  async organizationRoleOf(organizationId: string, userId: string): Promise<Role | undefined> {
    const row = await this.db
      .selectFrom('organization_members')
      .select('role')
      .where('organization_id', '=', organizationId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.role;
  }

  async workspaceRoleOf(workspaceId: string, userId: string): Promise<Role | undefined> {
    const row = await this.db
      .selectFrom('workspace_members')
      .select('role')
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.role;
  }

  /** Names are unique regardless of case. */
  async organizationByName(name: string): Promise<OrganizationRef | undefined> {
    return this.db
      .selectFrom('organizations')
      .select(['id', 'name'])
      .where('name_lower', '=', name.toLowerCase())
      .executeTakeFirst();
  }

  async organization(id: string): Promise<OrganizationRef | undefined> {
    return this.db.selectFrom('organizations').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
  }

  async workspace(id: string): Promise<WorkspaceRef | undefined> {
    return this.db
      .selectFrom('workspaces')
      .select(['id', 'organization_id', 'name'])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** The organizations where `userId` is the only admin. */
  async soleAdminOf(userId: string): Promise<OrganizationRef[]> {
    return this.db
      .selectFrom('organization_members as mine')
      .innerJoin('organizations', 'organizations.id', 'mine.organization_id')
      .select(['organizations.id', 'organizations.name'])
      .where('mine.user_id', '=', userId)
      .where('mine.role', '=', 'admin')
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('organization_members as other')
              .select('other.user_id')
              .whereRef('other.organization_id', '=', 'mine.organization_id')
              .where('other.role', '=', 'admin')
              .whereRef('other.user_id', '!=', 'mine.user_id'),
          ),
        ),
      )
      .orderBy('organizations.name_lower')
      .execute();
  }

  /**
   * Locks the organization's row until the transaction ends: every change to
   * its members, service accounts and workspaces queues on it, so roles read
   * after the lock stay true until commit.
   */
  async lockOrganization(organizationId: string): Promise<void> {
    await this.db
      .updateTable('organizations')
      .set((eb) => ({ version: eb.ref('version') }))
      .where('id', '=', organizationId)
      .execute();
  }
}
