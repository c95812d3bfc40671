import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Tables of named resources: a name unique case-insensitively (`name_lower`), a description, a version. */
export type NamedTable = 'organizations' | 'workspaces';

export interface NamedValues {
  name?: string;
  description?: string | null;
}

/**
 * Inserts and updates for named resources: the lookup key follows the name,
 * the version starts at 1 and grows with each change. Both tables are written
 * through the organizations' type (the columns involved are the same).
 */
export async function insertNamed(
  db: Kysely<Database>,
  table: NamedTable,
  values: { id: string; name: string; description: string | null } & Record<string, string | null>,
  now: string,
): Promise<void> {
  await db
    .insertInto(table as 'organizations')
    .values({ ...values, name_lower: values.name.toLowerCase(), version: 1, created: now, updated: now })
    .execute();
}

export async function updateNamed(
  db: Kysely<Database>,
  table: NamedTable,
  id: string,
  values: NamedValues,
  now: string,
): Promise<void> {
  await db
    .updateTable(table as 'organizations')
    .set({
      ...values,
      ...(values.name !== undefined ? { name_lower: values.name.toLowerCase() } : {}),
      updated: now,
    })
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .execute();
}
