import type { Kysely } from 'kysely';
import type { Database, Role } from '../../db/schema.js';
import { readTimestamp } from '../../db/values.js';
import { MembershipTable } from '../../db/memberships.js';
import { insertNamed, type NamedValues, updateNamed } from '../../db/named-rows.js';
import type { UserRecord } from '../../domain/records.js';

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
  private readonly memberships: MembershipTable;

  constructor(private readonly db: Kysely<Database>) {
    this.memberships = new MembershipTable(db, { table: 'organization_members', key: 'organization_id' });
  }

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
    await insertNamed(this.db, 'organizations', values, now);
    return (await this.findById(values.id))!;
  }

  async update(id: string, values: NamedValues, now: string): Promise<void> {
    await updateNamed(this.db, 'organizations', id, values, now);
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('organizations').where('id', '=', id).execute();
  }

  members(organizationId: string): Promise<MemberRecord[]> {
    return this.memberships.members(organizationId);
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

  upsertMember(organizationId: string, userId: string, role: Role, now: string): Promise<void> {
    return this.memberships.upsert(organizationId, userId, role, now);
  }

  deleteMember(organizationId: string, userId: string): Promise<boolean> {
    return this.memberships.remove(organizationId, userId);
  }
}
