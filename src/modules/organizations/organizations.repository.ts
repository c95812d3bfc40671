import type { Kysely } from 'kysely';
import type { Database, Role } from '../../db/schema.js';
import { readTimestamp } from '../../db/values.js';
import { toRecord, type UserRecord } from '../users/users.repository.js';

export interface OrganizationRecord {
  id: string;
  name: string;
  description: string | null;
  version: number;
  created: string;
  updated: string;
}

export interface MemberRecord {
  user: UserRecord;
  role: Role;
}

/** An organization a user belongs to, with the user's role there. */
export interface MembershipRecord {
  organization_id: string;
  organization_name: string;
  role: Role;
}

type OrganizationRow = {
  id: string;
  name: string;
  description: string | null;
  version: number;
  created: string | Date;
  updated: string | Date;
};

function toOrganization(row: OrganizationRow): OrganizationRecord {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    version: Number(row.version),
    created: readTimestamp(row.created),
    updated: readTimestamp(row.updated),
  };
}

const COLUMNS = ['organizations.id', 'name', 'description', 'version', 'created', 'updated'] as const;

export class OrganizationsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findById(id: string): Promise<OrganizationRecord | undefined> {
    const row = await this.db.selectFrom('organizations').select(COLUMNS).where('id', '=', id).executeTakeFirst();
    return row && toOrganization(row);
  }

  /** All organizations, or those among `ids`, by creation. */
  async list(ids: string[] | undefined, offset: number, limit: number): Promise<OrganizationRecord[]> {
    if (ids !== undefined && ids.length === 0) return [];
    let query = this.db.selectFrom('organizations').select(COLUMNS);
    if (ids !== undefined) query = query.where('id', 'in', ids);
    const rows = await query.orderBy('created').orderBy('id').offset(offset).limit(limit).execute();
    return rows.map(toOrganization);
  }

  async insert(
    values: { id: string; name: string; description: string | null },
    now: string,
  ): Promise<OrganizationRecord> {
    await this.db
      .insertInto('organizations')
      .values({ ...values, name_lower: values.name.toLowerCase(), version: 1, created: now, updated: now })
      .execute();
    return (await this.findById(values.id))!;
  }

  async update(id: string, values: { name?: string; description?: string | null }, now: string): Promise<void> {
    await this.db
      .updateTable('organizations')
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
    await this.db.deleteFrom('organizations').where('id', '=', id).execute();
  }

  /** The organizations `userId` is a member of, with its role in each. */
  async membershipsOf(userId: string): Promise<MembershipRecord[]> {
    return this.db
      .selectFrom('organization_members')
      .innerJoin('organizations', 'organizations.id', 'organization_members.organization_id')
      .select([
        'organization_members.organization_id',
        'organizations.name as organization_name',
        'organization_members.role',
      ])
      .where('organization_members.user_id', '=', userId)
      .orderBy('organizations.name_lower')
      .execute();
  }

  async roleOf(organizationId: string, userId: string): Promise<Role | undefined> {
    const row = await this.db
      .selectFrom('organization_members')
      .select('role')
      .where('organization_id', '=', organizationId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.role;
  }

  async members(organizationId: string): Promise<MemberRecord[]> {
    const rows = await this.db
      .selectFrom('organization_members')
      .innerJoin('users', 'users.id', 'organization_members.user_id')
      .selectAll('users')
      .select('organization_members.role as member_role')
      .where('organization_members.organization_id', '=', organizationId)
      .orderBy('users.created')
      .orderBy('users.id')
      .execute();
    return rows.map(({ member_role, ...user }) => ({ user: toRecord(user), role: member_role }));
  }

  /** Whether a member of the organization has this email, verified (invitations by email). */
  async hasMemberWithVerifiedEmail(organizationId: string, email: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('organization_members')
      .innerJoin('users', 'users.id', 'organization_members.user_id')
      .select('users.id')
      .where('organization_members.organization_id', '=', organizationId)
      .where('users.email_lower', '=', email.toLowerCase())
      .where('users.email_verified', '=', true)
      .executeTakeFirst();
    return row !== undefined;
  }

  async countAdmins(organizationId: string): Promise<number> {
    const row = await this.db
      .selectFrom('organization_members')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('organization_id', '=', organizationId)
      .where('role', '=', 'admin')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The organizations where `userId` is the only admin. */
  async soleAdminOf(userId: string): Promise<{ id: string; name: string }[]> {
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

  async upsertMember(organizationId: string, userId: string, role: Role, now: string): Promise<void> {
    await this.db
      .insertInto('organization_members')
      .values({ organization_id: organizationId, user_id: userId, role, created: now })
      .onConflict((oc) => oc.columns(['organization_id', 'user_id']).doUpdateSet({ role }))
      .execute();
  }

  async deleteMember(organizationId: string, userId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('organization_members')
      .where('organization_id', '=', organizationId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async deleteMembershipsOf(userId: string): Promise<void> {
    await this.db.deleteFrom('organization_members').where('user_id', '=', userId).execute();
  }

  /** Locks the organization's row until the transaction ends (membership changes queue on it). */
  async lock(organizationId: string): Promise<void> {
    await this.db
      .updateTable('organizations')
      .set((eb) => ({ version: eb.ref('version') }))
      .where('id', '=', organizationId)
      .execute();
  }
}
