import type { Kysely } from 'kysely';
import type { Database, Role } from '../../db/schema.js';
import { readTimestamp } from '../../db/values.js';
import type { WorkspaceRecord } from '../../domain/records.js';
import { toRecord, type UserRecord } from '../users/users.repository.js';

export type { WorkspaceRecord } from '../../domain/records.js';

/** A workspace a user belongs to, with the user's role there. */
export interface WorkspaceMembershipRecord {
  workspace_id: string;
  workspace_name: string;
  organization_id: string;
  role: Role;
}

type WorkspaceRow = Omit<WorkspaceRecord, 'created' | 'updated'> & { created: string | Date; updated: string | Date };

function toWorkspace(row: WorkspaceRow): WorkspaceRecord {
  return {
    ...row,
    version: Number(row.version),
    created: readTimestamp(row.created),
    updated: readTimestamp(row.updated),
  };
}

const COLUMNS = ['workspaces.id', 'organization_id', 'name', 'description', 'version', 'created', 'updated'] as const;

export class WorkspacesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findById(id: string): Promise<WorkspaceRecord | undefined> {
    const row = await this.db.selectFrom('workspaces').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    return row && toWorkspace(row);
  }

  async listByOrganization(organizationId: string, offset: number, limit: number): Promise<WorkspaceRecord[]> {
    const rows = await this.db
      .selectFrom('workspaces')
      .select(COLUMNS)
      .where('organization_id', '=', organizationId)
      .orderBy('created')
      .orderBy('id')
      .offset(offset)
      .limit(limit)
      .execute();
    return rows.map(toWorkspace);
  }

  async countByOrganization(organizationId: string): Promise<number> {
    const row = await this.db
      .selectFrom('workspaces')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('organization_id', '=', organizationId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insert(
    values: { id: string; organization_id: string; name: string; description: string | null },
    now: string,
  ): Promise<WorkspaceRecord> {
    await this.db
      .insertInto('workspaces')
      .values({ ...values, name_lower: values.name.toLowerCase(), version: 1, created: now, updated: now })
      .execute();
    return (await this.findById(values.id))!;
  }

  async update(id: string, values: { name?: string; description?: string | null }, now: string): Promise<void> {
    await this.db
      .updateTable('workspaces')
      .set({
        ...values,
        ...(values.name !== undefined ? { name_lower: values.name.toLowerCase() } : {}),
        updated: now,
      })
      .set((eb) => ({ version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('workspaces').where('id', '=', id).execute();
  }

  async roleOf(workspaceId: string, userId: string): Promise<Role | undefined> {
    const row = await this.db
      .selectFrom('workspace_members')
      .select('role')
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.role;
  }

  async members(workspaceId: string): Promise<{ user: UserRecord; role: Role }[]> {
    const rows = await this.db
      .selectFrom('workspace_members')
      .innerJoin('users', 'users.id', 'workspace_members.user_id')
      .selectAll('users')
      .select('workspace_members.role as member_role')
      .where('workspace_members.workspace_id', '=', workspaceId)
      .orderBy('users.created')
      .orderBy('users.id')
      .execute();
    return rows.map(({ member_role, ...user }) => ({ user: toRecord(user), role: member_role }));
  }

  async membershipsOf(userId: string): Promise<WorkspaceMembershipRecord[]> {
    return this.db
      .selectFrom('workspace_members')
      .innerJoin('workspaces', 'workspaces.id', 'workspace_members.workspace_id')
      .select([
        'workspace_members.workspace_id',
        'workspaces.name as workspace_name',
        'workspaces.organization_id',
        'workspace_members.role',
      ])
      .where('workspace_members.user_id', '=', userId)
      .orderBy('workspaces.name_lower')
      .execute();
  }

  async upsertMember(workspaceId: string, userId: string, role: Role, now: string): Promise<void> {
    await this.db
      .insertInto('workspace_members')
      .values({ workspace_id: workspaceId, user_id: userId, role, created: now })
      .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doUpdateSet({ role }))
      .execute();
  }

  async deleteMember(workspaceId: string, userId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('workspace_members')
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Removes `userId` from every workspace of an organization (it left the organization). */
  async deleteMembershipsInOrganization(organizationId: string, userId: string): Promise<void> {
    await this.db
      .deleteFrom('workspace_members')
      .where('user_id', '=', userId)
      .where('workspace_id', 'in', (eb) =>
        eb.selectFrom('workspaces').select('id').where('organization_id', '=', organizationId),
      )
      .execute();
  }

  async deleteMembershipsOf(userId: string): Promise<void> {
    await this.db.deleteFrom('workspace_members').where('user_id', '=', userId).execute();
  }
}
