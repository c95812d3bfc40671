/**
 * `roster seed` (API.md 9): adds accounts after those of earlier seeds, all or
 * nothing, and never leaves the users table without its indexes: not when it
 * fails, not when it is killed half way (SIGKILL), on both engines.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { runCli } from '../src/cli/program.js';
import { openDatabase, type DatabaseHandle } from '../src/db/dialect.js';
import { engines, freshDatabase, rawUserRow, type FreshDatabase } from './helpers.js';

async function indexes(handle: DatabaseHandle): Promise<string[]> {
  const rows =
    handle.engine === 'postgres'
      ? (
          await sql<{
            name: string;
          }>`select indexname as name from pg_indexes where schemaname = current_schema() and tablename = 'users'`.execute(
            handle.db,
          )
        ).rows
      : (
          await sql<{
            name: string;
          }>`select name from sqlite_master where type = 'index' and tbl_name = 'users'`.execute(handle.db)
        ).rows;
  return rows.map((r) => r.name).sort();
}

async function count(handle: DatabaseHandle): Promise<number> {
  const row = await handle.db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function seed(url: string, users: number) {
  let stderr = '';
  const code = await runCli(['seed', '--users', String(users)], {
    stdout: () => undefined,
    stderr: (text) => {
      stderr += text;
    },
    stderrIsTerminal: false,
    readPassword: async () => '',
    env: { ROSTER_DATABASE_URL: url },
  });
  return { code, stderr };
}

for (const engine of engines()) {
  describe(`roster seed (${engine})`, () => {
    let database: FreshDatabase;
    let handle: DatabaseHandle;
    let allIndexes: string[];
    before(async () => {
      database = await freshDatabase(engine);
      const migrated = await runCli(['migrate'], {
        stdout: () => undefined,
        stderr: () => undefined,
        stderrIsTerminal: false,
        readPassword: async () => '',
        env: { ROSTER_DATABASE_URL: database.processUrl },
      });
      assert.equal(migrated, 0);
      handle = await openDatabase(database.processUrl, { poolSize: 2 });
      allIndexes = await indexes(handle);
      assert.ok(allIndexes.length >= 9, `the users table has its indexes (${allIndexes.join(', ')})`);
    });
    after(async () => {
      await handle.close();
      await database.drop();
    });

    it('adds the accounts, with progress in tenths when not on a terminal', async () => {
      const run = await seed(database.processUrl, 5000);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(await count(handle), 5000);
      const tenths = run.stderr.split('\n').filter((line) => /users \(\d+%/.test(line));
      assert.equal(tenths.length, 10, run.stderr);
      assert.match(tenths.at(-1)!, /5,000 \/ 5,000 users \(100%/);
      assert.match(run.stderr, /5,000 users added \(user0 to user4999\)/);
      assert.deepEqual(await indexes(handle), allIndexes);
    });

    it('a second run adds more accounts after the first ones', async () => {
      const run = await seed(database.processUrl, 300);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /300 users added \(user5000 to user5299\)/);
      assert.equal(await count(handle), 5300);
      const last = await handle.db
        .selectFrom('users')
        .select(['email'])
        .where('username_lower', '=', 'user5299')
        .executeTakeFirst();
      assert.equal(last?.email, 'user5299@example.com');
      assert.deepEqual(await indexes(handle), allIndexes);
    });

    it('a run that fails half way adds nothing and leaves every index in place', async () => {
      // An account that already holds the email the seed will need for user5400.
      await handle.db
        .insertInto('users')
        .values(rawUserRow(uuidv7(), 'squatter', 'user5400@example.com') as never)
        .execute();
      const before = await count(handle);
      const run = await seed(database.processUrl, 2000);
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        /^roster seed: an account already uses a name or email the seed needs .*nothing was added$/m,
      );
      assert.equal(await count(handle), before);
      assert.deepEqual(await indexes(handle), allIndexes);
      await handle.db.deleteFrom('users').where('username_lower', '=', 'squatter').execute();
    });

    it('a run killed with SIGKILL half way leaves the table as it was, every index present', async () => {
      const before = await count(handle);
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/roster.ts', 'seed', '--users', '400000'], {
        env: { PATH: process.env.PATH, ROSTER_DATABASE_URL: database.processUrl },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_code, signal) => resolve(signal)),
      );
      await new Promise<void>((resolve, reject) => {
        child.stderr!.on('data', (chunk) => {
          stderr += chunk;
          // Killed once rows are being written, indexes dropped inside the open transaction.
          if (/users \(\d+%/.test(stderr)) resolve();
        });
        child.once('exit', () => reject(new Error(`the seed ended before it could be killed:\n${stderr}`)));
      });
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      assert.equal(await count(handle), before);
      assert.deepEqual(await indexes(handle), allIndexes);
    });
  });
}
