/** End to end: the real entry point as a process, on a real port, driven with fetch. */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startServer } from './process.js';

const dir = mkdtempSync(join(tmpdir(), 'roster-server-'));
const databaseUrl = `sqlite:${join(dir, 'roster.db')}`;
after(() => rmSync(dir, { recursive: true, force: true }));

const start = (env: Record<string, string> = {}) => startServer({ ROSTER_DATABASE_URL: databaseUrl, ...env });

function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return start(env).then(
    async (started) => {
      await started.stop();
      return { code: 0, output: started.output() };
    },
    (error: { code: number | null; output: string }) => ({ code: error.code, output: error.output }),
  );
}

describe('the server process', () => {
  it('bootstraps the internal account with a generated password printed once, and serves the API', async () => {
    const server = await start();
    try {
      const password = /password: (\S+)/.exec(server.output())?.[1];
      assert.ok(password && password.length >= 20, 'a generated password is printed');
      assert.equal((await fetch(`${server.url}/health`)).status, 200);

      const login = await fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'admin', password }),
      });
      assert.equal(login.status, 200);
      const { access_token: token } = (await login.json()) as { access_token: string };
      const users = await fetch(`${server.url}/api/v1/users`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(users.status, 200);
      assert.equal(((await users.json()) as unknown[]).length, 1);

      await fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'wrong-secret-value' }),
      });
      await server.stop();
      const output = server.output();
      assert.equal(output.split(password).length - 1, 1, 'the password appears once, in the banner');
      assert.ok(!output.includes(token), 'tokens never reach the logs');
      assert.ok(!output.includes('wrong-secret-value'), 'attempted passwords never reach the logs');
    } finally {
      await server.stop();
    }
  });

  it('does not create or print a password again on the next start', async () => {
    const server = await start();
    await server.stop();
    assert.ok(!/password:/.test(server.output()));
  });

  it('stops at startup with one clear line for a bad setting', async () => {
    const { code, output } = await run({ ROSTER_PORT: 'eighty' });
    assert.equal(code, 1);
    assert.equal(output.trim(), "roster: ROSTER_PORT must be an integer from 0 to 65535 (got 'eighty')");
  });

  it('with ROSTER_MIGRATE_ON_START=false, refuses a schema that is behind until `migrate` runs', async () => {
    const env = { ROSTER_DATABASE_URL: `sqlite:${join(dir, 'explicit.db')}`, ROSTER_MIGRATE_ON_START: 'false' };
    const refused = await run(env);
    assert.equal(refused.code, 1);
    assert.match(refused.output.trim(), /^roster: cannot prepare the database .*behind this version of Roster.*npm run migrate/);

    const migrate = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/migrate.ts'], {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
    });
    assert.equal(migrate.status, 0, migrate.stderr);
    assert.match(migrate.stdout, /^roster migrate: applied 0001_users_and_sessions, /);
    const again = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/migrate.ts'], {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
    });
    assert.equal(again.stdout, 'roster migrate: the schema is up to date\n');

    const server = await start(env);
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    await server.stop();
  });

  it('seeds users in bulk through the data layer and leaves every index in place', () => {
    const file = join(dir, 'seeded.db');
    const seeded = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/seed.ts', '--users', '2500', '--batch', '1000'], {
      env: { PATH: process.env.PATH, ROSTER_DATABASE_URL: `sqlite:${file}`, ROSTER_ADMIN_PASSWORD: 'admin-password-1' },
      encoding: 'utf8',
    });
    assert.equal(seeded.status, 0, seeded.stderr);
    assert.match(seeded.stderr, /2,500 users in [\d.]+ s/);
    const sqlite = new Database(file, { readonly: true });
    try {
      assert.equal((sqlite.prepare('select count(*) as n from users').get() as { n: number }).n, 2501);
      const user = sqlite.prepare("select * from users where username_lower = 'user2499'").get() as Record<string, string>;
      assert.equal(user.email, 'user2499@example.com');
      assert.equal(user.name_lower, user.name?.toLowerCase());
      const indexes = sqlite.prepare("select name from sqlite_master where type = 'index' and tbl_name = 'users'").all() as { name: string }[];
      for (const name of ['users_created_id_idx', 'users_name_lower_idx', 'users_is_active_created_idx']) {
        assert.ok(indexes.some((i) => i.name === name), name);
      }
      // List order is seeding order.
      const order = sqlite.prepare("select username from users where is_internal = 0 order by created, id limit 3").all() as { username: string }[];
      assert.deepEqual(order.map((r) => r.username), ['user0', 'user1', 'user2']);
    } finally {
      sqlite.close();
    }
  });

  it('refuses a database whose schema is newer than the code', async () => {
    const sqlite = new Database(join(dir, 'roster.db'));
    sqlite.prepare('insert into kysely_migration (name, timestamp) values (?, ?)').run('9999_from_the_future', new Date().toISOString());
    sqlite.close();
    const { code, output } = await run({});
    assert.equal(code, 1);
    assert.match(output.trim(), /^roster: cannot prepare the database .*newer than this version of Roster.*9999_from_the_future/);
    assert.equal(output.trim().split('\n').length, 1);
  });
});
