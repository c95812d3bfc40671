import type { Kysely } from 'kysely';
import type { UserRecord } from '../domain/records.js';
import type { Database, Role } from './schema.js';
import { toUserRecord, type UserRow } from './user-rows.js';

/** The two membership tables: accounts with a role in an organization, or in a workspace. */
export type MembershipKind =
  | { table: 'organization_members'; key: 'organization_id' }
  | { table: 'workspace_members'; key: 'workspace_id' };

/**
 * Members of one organization or workspace: listing, adding (or changing a
 * role), removing. The two tables have the same shape but for the key naming
 * what the membership is in, so one implementation serves both repositories.
 */
export class MembershipTable {
  // Both tables are queried through the organization table's type: the same columns,
  // with `key` naming the organization's or the workspace's id.
  private readonly table: 'organization_members';
  private readonly key: 'organization_id';

  constructor(
    private readonly db: Kysely<Database>,
    kind: MembershipKind,
  ) {
    this.table = kind.table as 'organization_members';
    this.key = kind.key as 'organization_id';
  }

  /** The members of `parentId`, in account creation order. */
  async members(parentId: string): Promise<{ user: UserRecord; role: Role }[]> {
    const rows = await this.db
      .selectFrom(this.table)
      .innerJoin('users', 'users.id', `${this.table}.user_id`)
      .selectAll('users')
      .select(`${this.table}.role as member_role`)
      .where(`${this.table}.${this.key}`, '=', parentId)
      .orderBy('users.created')
      .orderBy('users.id')
      .execute();
    return rows.map(({ member_role, ...user }) => ({ user: toUserRecord(user as UserRow), role: member_role }));
  }

  async upsert(parentId: string, userId: string, role: Role, now: string): Promise<void> {
    await this.db
      .insertInto(this.table)
      .values({ [this.key]: parentId, user_id: userId, role, created: now } as never)
      .onConflict((oc) => oc.columns([this.key, 'user_id']).doUpdateSet({ role }))
      .execute();
  }

  /** Whether there was such a membership to remove. */
  async remove(parentId: string, userId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom(this.table)
      .where(this.key, '=', parentId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
