import type { Kysely } from 'kysely';
import type { Database, Role } from '../../db/schema.js';
import { readTimestamp } from '../../db/values.js';
import type { WorkspaceRecord } from '../../domain/records.js';
import { MembershipTable } from '../../db/memberships.js';
import { insertNamed, type NamedValues, updateNamed } from '../../db/named-rows.js';
import type { UserRecord } from '../../domain/records.js';

export type { WorkspaceRecord } from '../../domain/records.js';

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
  private readonly memberships: MembershipTable;

  constructor(private readonly db: Kysely<Database>) {
    this.memberships = new MembershipTable(db, { table: 'workspace_members', key: 'workspace_id' });
  }

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
    await insertNamed(this.db, 'workspaces', values, now);
    return (await this.findById(values.id))!;
  }

  async update(id: string, values: NamedValues, now: string): Promise<void> {
    await updateNamed(this.db, 'workspaces', id, values, now);
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('workspaces').where('id', '=', id).execute();
  }

  members(workspaceId: string): Promise<{ user: UserRecord; role: Role }[]> {
    return this.memberships.members(workspaceId);
  }

  upsertMember(workspaceId: string, userId: string, role: Role, now: string): Promise<void> {
    return this.memberships.upsert(workspaceId, userId, role, now);
  }

  deleteMember(workspaceId: string, userId: string): Promise<boolean> {
    return this.memberships.remove(workspaceId, userId);
  }

  /** The workspaces of an organization `userId` is a member of, with its role in each. */
  async membershipsInOrganization(
    organizationId: string,
    userId: string,
  ): Promise<{ workspace_id: string; role: Role }[]> {
    return this.db
      .selectFrom('workspace_members')
      .innerJoin('workspaces', 'workspaces.id', 'workspace_members.workspace_id')
      .select(['workspace_members.workspace_id', 'workspace_members.role'])
      .where('workspace_members.user_id', '=', userId)
      .where('workspaces.organization_id', '=', organizationId)
      .orderBy('workspace_members.workspace_id')
      .execute();
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
}
