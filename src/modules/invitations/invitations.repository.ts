import type { Kysely } from 'kysely';
import type { Database, InvitationStatus, Role } from '../../db/schema.js';
import { readTimestamp } from '../../db/values.js';
import type { InvitationRecord } from '../../domain/records.js';

export type { InvitationRecord } from '../../domain/records.js';

export class InvitationsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private select() {
    return this.db
      .selectFrom('invitations')
      .innerJoin('organizations', 'organizations.id', 'invitations.organization_id')
      .select([
        'invitations.id',
        'invitations.organization_id',
        'organizations.name as organization_name',
        'invitations.role',
        'invitations.email',
        'invitations.user_id',
        'invitations.invited_by',
        'invitations.status',
        'invitations.created',
        'invitations.expires',
      ]);
  }

  async insert(values: {
    id: string;
    organization_id: string;
    role: Role;
    email: string | null;
    user_id: string | null;
    invited_by: string;
    created: string;
    expires: string;
  }): Promise<InvitationRecord> {
    await this.db
      .insertInto('invitations')
      .values({
        ...values,
        email_lower: values.email?.toLowerCase() ?? null,
        status: 'pending',
        updated: values.created,
      })
      .execute();
    return (await this.findById(values.id))!;
  }

  async findById(id: string): Promise<InvitationRecord | undefined> {
    const row = await this.select().where('invitations.id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  async listByOrganization(organizationId: string): Promise<InvitationRecord[]> {
    const rows = await this.select()
      .where('invitations.organization_id', '=', organizationId)
      .orderBy('invitations.created')
      .orderBy('invitations.id')
      .execute();
    return rows.map(toRecord);
  }

  /** A pending, unexpired invitation of the organization for this account or email. */
  async findPending(organizationId: string, to: { userId: string } | { email: string }, now: string) {
    let query = this.select()
      .where('invitations.organization_id', '=', organizationId)
      .where('invitations.status', '=', 'pending')
      .where('invitations.expires', '>', now);
    query =
      'userId' in to
        ? query.where('invitations.user_id', '=', to.userId)
        : query.where('invitations.email_lower', '=', to.email.toLowerCase());
    const row = await query.executeTakeFirst();
    return row && toRecord(row);
  }

  /** Pending, unexpired invitations addressed to an account: by its id, or by its verified email. */
  async listPendingFor(userId: string, verifiedEmail: string | null, now: string): Promise<InvitationRecord[]> {
    const rows = await this.select()
      .where('invitations.status', '=', 'pending')
      .where('invitations.expires', '>', now)
      .where((eb) =>
        verifiedEmail === null
          ? eb('invitations.user_id', '=', userId)
          : eb.or([
              eb('invitations.user_id', '=', userId),
              eb('invitations.email_lower', '=', verifiedEmail.toLowerCase()),
            ]),
      )
      .orderBy('invitations.created')
      .orderBy('invitations.id')
      .execute();
    return rows.map(toRecord);
  }

  /** Moves a pending invitation to `status`; false when it was no longer pending. */
  async answer(id: string, status: Exclude<InvitationStatus, 'pending' | 'expired'>, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('invitations')
      .set({ status, updated: now })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

function toRecord(row: Record<string, unknown>): InvitationRecord {
  return {
    id: row.id as string,
    organization_id: row.organization_id as string,
    organization_name: row.organization_name as string,
    role: row.role as Role,
    email: (row.email as string | null) ?? null,
    user_id: (row.user_id as string | null) ?? null,
    invited_by: row.invited_by as string,
    status: row.status as InvitationStatus,
    created: readTimestamp(row.created as string | Date),
    expires: readTimestamp(row.expires as string | Date),
  };
}
