/**
 * `npm run seed -- --users N`: fills the database named by ROSTER_DATABASE_URL
 * (or `--database URL`) with N local accounts, for benchmarks and demos.
 * Goes through the data layer in batches, one transaction per batch; every
 * seeded account has the password `seeded-password`.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Insertable } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { hashPassword } from '../auth/passwords.js';
import { bootstrap } from '../bootstrap.js';
import { systemClock } from '../clock.js';
import { ConfigError, loadConfig, loadDotEnv } from '../config.js';
import { analyze, openDatabase, prepareBulkLoad, suspendIndexes } from '../db/dialect.js';
import { migrateToLatest } from '../db/migrate.js';
import type { UsersTable } from '../db/schema.js';
import { Store } from '../store.js';

const FIRST = ['Ava', 'Ben', 'Chloe', 'Dan', 'Ella', 'Finn', 'Grace', 'Hugo', 'Isla', 'Jack', 'Kai', 'Lena', 'Max', 'Nora', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sam', 'Tara', 'Umar', 'Vera', 'Will', 'Xena', 'Yuki', 'Zoe'];
const LAST = ['Adams', 'Brown', 'Chen', 'Diaz', 'Evans', 'Fischer', 'Garcia', 'Hill', 'Ito', 'Jones', 'Kim', 'Lopez', 'Meyer', 'Nguyen', 'Olsen', 'Patel', 'Quist', 'Rossi', 'Smith', 'Tanaka', 'Ueda', 'Varga', 'Weber', 'Xu', 'Young', 'Zhang'];
/** Rows per INSERT statement (SQLite allows at most 32,766 parameters in one). */
const ROWS_PER_STATEMENT = 1000;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '1000' },
      database: { type: 'string' },
      batch: { type: 'string', default: '20000' },
    },
  });
  const count = Number(values.users);
  const batch = Number(values.batch);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(batch) || batch < 1) {
    process.stderr.write('roster seed: --users and --batch take positive integers\n');
    return 1;
  }
  let config;
  try {
    loadDotEnv();
    config = loadConfig(values.database ? { ...process.env, ROSTER_DATABASE_URL: values.database } : process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`roster seed: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const handle = await openDatabase(config.databaseUrl, { poolSize: 2 });
  try {
    await migrateToLatest(handle.db);
    const store = new Store(handle.db);
    await bootstrap(store, config, systemClock);
    const passwordHash = await hashPassword('seeded-password');
    await prepareBulkLoad(handle.db);
    const rebuildIndexes = await suspendIndexes(handle.db, 'users');
    const started = Date.now();
    // Creation times one millisecond apart, ending now: list order = seeding order.
    const firstCreated = started - count;
    for (let from = 0; from < count; from += batch) {
      const to = Math.min(from + batch, count);
      await store.transaction(async (repos) => {
        for (let chunk = from; chunk < to; chunk += ROWS_PER_STATEMENT) {
          const rows: Insertable<UsersTable>[] = [];
          // One call to the random source per statement rather than one per id.
          const random = randomBytes(16 * ROWS_PER_STATEMENT);
          for (let i = chunk; i < Math.min(chunk + ROWS_PER_STATEMENT, to); i++) {
            const offset = 16 * (i - chunk);
            rows.push(row(i, firstCreated + i, passwordHash, random.subarray(offset, offset + 16)));
          }
          await repos.users.insertRows(rows);
        }
      });
      const seconds = (Date.now() - started) / 1000;
      process.stderr.write(`\rroster seed: ${to.toLocaleString('en')} / ${count.toLocaleString('en')} users (${Math.round(to / seconds).toLocaleString('en')}/s)   `);
    }
    process.stderr.write('\nroster seed: building indexes');
    await rebuildIndexes();
    await analyze(handle.db);
    process.stderr.write(`\nroster seed: ${count.toLocaleString('en')} users in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`\nroster seed: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await handle.close();
  }
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

process.exitCode = await main();
