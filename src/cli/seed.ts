/**
 * `roster seed --users N`: adds N local accounts for benchmarks and demos
 * (`user<i>`, `user<i>@example.com`, password `seeded-password`), after the
 * ones an earlier seed added.
 *
 * All of it is one transaction, the dropping and rebuilding of the plain
 * indexes included (DDL is transactional on both engines): a failure or a
 * kill at any moment leaves the database as it was, every index present.
 * While it runs, other writers wait: on PostgreSQL the users table is locked
 * (reads too), on SQLite the whole database (a server's writes fail with 503
 * once SQLite's 5 s lock wait runs out).
 */
import { randomBytes } from 'node:crypto';
import type { Insertable } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { hashPassword } from '../auth/passwords.js';
import { analyze, prepareBulkLoad, suspendIndexes, type DatabaseHandle } from '../db/dialect.js';
import { UniqueViolation } from '../db/errors.js';
import type { UsersTable } from '../db/schema.js';
import { UsersRepository } from '../modules/users/users.repository.js';

const FIRST = [
  'Ava',
  'Ben',
  'Chloe',
  'Dan',
  'Ella',
  'Finn',
  'Grace',
  'Hugo',
  'Isla',
  'Jack',
  'Kai',
  'Lena',
  'Max',
  'Nora',
  'Omar',
  'Priya',
  'Quinn',
  'Rosa',
  'Sam',
  'Tara',
  'Umar',
  'Vera',
  'Will',
  'Xena',
  'Yuki',
  'Zoe',
];
const LAST = [
  'Adams',
  'Brown',
  'Chen',
  'Diaz',
  'Evans',
  'Fischer',
  'Garcia',
  'Hill',
  'Ito',
  'Jones',
  'Kim',
  'Lopez',
  'Meyer',
  'Nguyen',
  'Olsen',
  'Patel',
  'Quist',
  'Rossi',
  'Smith',
  'Tanaka',
  'Ueda',
  'Varga',
  'Weber',
  'Xu',
  'Young',
  'Zhang',
];
/** Rows per statement: an INSERT on SQLite (at most 32,766 parameters in one), a COPY on PostgreSQL. */
const ROWS_PER_STATEMENT = { sqlite: 1000, postgres: 10_000 };

export const SEEDED_PASSWORD = 'seeded-password';

/** A seed that could not run; nothing was added. */
export class SeedRefused extends Error {}

/** Rows written so far, out of `total`; `indexing` once every row is in and the indexes are being built. */
export type SeedProgress = (done: number, total: number, phase: 'rows' | 'indexing') => void;

export interface SeedResult {
  /** The number of the first account added (`user<first>`). */
  first: number;
  count: number;
}

export async function seedUsers(handle: DatabaseHandle, count: number, progress: SeedProgress): Promise<SeedResult> {
  const first = await firstFreeIndex(new UsersRepository(handle.db));
  const passwordHash = await hashPassword(SEEDED_PASSWORD);
  await prepareBulkLoad(handle.db);
  // Creation times one millisecond apart, ending now: list order = seeding order.
  const firstCreated = Date.now() - count;
  try {
    await handle.db.transaction().execute(async (trx) => {
      const users = new UsersRepository(trx);
      const rebuildIndexes = await suspendIndexes(trx, 'users');
      // Statements small enough that progress moves at least every percent.
      const rowsPerStatement = Math.max(1, Math.min(ROWS_PER_STATEMENT[handle.engine], Math.ceil(count / 100)));
      for (let chunk = 0; chunk < count; chunk += rowsPerStatement) {
        const end = Math.min(chunk + rowsPerStatement, count);
        // One call to the random source per statement rather than one per id.
        const random = randomBytes(16 * rowsPerStatement);
        const rows: Insertable<UsersTable>[] = [];
        for (let i = chunk; i < end; i++) {
          const offset = 16 * (i - chunk);
          rows.push(row(first + i, firstCreated + i, passwordHash, random.subarray(offset, offset + 16)));
        }
        await users.insertRows(rows);
        progress(end, count, 'rows');
      }
      progress(count, count, 'indexing');
      await rebuildIndexes();
    });
  } catch (error) {
    if (error instanceof UniqueViolation) {
      const violation = error;
      throw new SeedRefused(
        `an account already uses a name or email the seed needs (${violation.target}); nothing was added`,
      );
    }
    throw error;
  }
  await analyze(handle.db, 'users');
  await new UsersRepository(handle.db).foldCount();
  return { first, count };
}

/**
 * The number after the last seeded account: seeds add `user0`, `user1`, ...
 * without gaps, so an exponential then binary search over "is `user<i>`
 * taken" finds it in a few dozen indexed lookups, whatever the size.
 */
async function firstFreeIndex(users: UsersRepository): Promise<number> {
  const taken = (i: number) => users.loginNameTaken(`user${i}`);
  if (!(await taken(0))) return 0;
  let low = 0; // taken
  let high = 1;
  while (await taken(high)) {
    low = high;
    high *= 2;
  }
  // user<low> is taken, user<high> is free.
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (await taken(middle)) low = middle;
    else high = middle;
  }
  return high;
}

function row(i: number, createdMs: number, passwordHash: string, random: Uint8Array): Insertable<UsersTable> {
  const created = new Date(createdMs).toISOString();
  const name = `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`;
  const username = `user${i}`;
  const email = `user${i}@example.com`;
  return {
    id: uuidv7({ msecs: createdMs, random }),
    username,
    username_lower: username,
    email,
    email_lower: email,
    email_verified: true,
    name,
    name_lower: name.toLowerCase(),
    avatar_url: null,
    company: null,
    job_title: null,
    metadata: '{}',
    password_hash: passwordHash,
    oauth_provider: null,
    oauth_id: null,
    is_active: i % 50 !== 0,
    is_superuser: false,
    is_service_account: false,
    is_internal: false,
    is_onboarded: i % 3 === 0,
    organization_id: null,
    version: 1,
    credential_version: 1,
    created,
    updated: created,
  };
}
