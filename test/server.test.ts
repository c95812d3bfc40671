/** End to end: the real entry point as a process, on a real port, driven with fetch. */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

/** `roster <argv>` as its own process, with `stdin` piped in. */
function roster(argv: string[], env: Record<string, string>, stdin = '') {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/roster.ts', ...argv], {
    env: { PATH: process.env.PATH, ...env },
    input: stdin,
    encoding: 'utf8',
  });
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

  it('with ROSTER_MIGRATE_ON_START=false, refuses a schema that is behind until `roster migrate` runs', async () => {
    const env = { ROSTER_DATABASE_URL: `sqlite:${join(dir, 'explicit.db')}`, ROSTER_MIGRATE_ON_START: 'false' };
    const refused = await run(env);
    assert.equal(refused.code, 1);
    assert.match(
      refused.output.trim(),
      /^roster: cannot prepare the database .*behind this version of Roster.*roster migrate/,
    );

    const migrate = roster(['migrate'], env);
    assert.equal(migrate.status, 0, migrate.stderr);
    assert.match(migrate.stdout, /^roster migrate: applied 0001_users_and_sessions, /);
    assert.equal(roster(['migrate'], env).stdout, 'roster migrate: the schema is up to date\n');

    const server = await start(env);
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    await server.stop();
  });

  it('the roster command: usage on stderr with exit 2, a piped password, --help without side effects', () => {
    const env = { ROSTER_DATABASE_URL: `sqlite:${join(dir, 'cli.db')}` };
    const unknown = roster(['nonsense'], env);
    assert.equal(unknown.status, 2);
    assert.equal(unknown.stdout, '');
    assert.match(unknown.stderr, /unknown command 'nonsense'[\s\S]*Usage: roster/);
    const help = roster(['migrate', '--help'], env);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: roster migrate/);
    assert.ok(!existsSync(join(dir, 'cli.db')), '--help touched no database');

    const missing = roster(['users', 'list'], env);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^roster users list: there is no database at sqlite:.*cli\.db/);
    assert.ok(!existsSync(join(dir, 'cli.db')), 'an account command creates no database');
    assert.equal(roster(['migrate'], env).status, 0);

    const created = roster(['users', 'create', 'piped', '--email', 'piped@example.com'], env, 'piped-password-1\n');
    assert.equal(created.status, 0, created.stderr);
    const listed = roster(['users', 'list', '--json'], env);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { username: string }[]).map((u) => u.username),
      ['piped'],
    );
  });

  it('refuses a database whose schema is newer than the code', async () => {
    const sqlite = new Database(join(dir, 'roster.db'));
    sqlite
      .prepare('insert into kysely_migration (name, timestamp) values (?, ?)')
      .run('9999_from_the_future', new Date().toISOString());
    sqlite.close();
    const { code, output } = await run({});
    assert.equal(code, 1);
    assert.match(
      output.trim(),
      /^roster: cannot prepare the database .*newer than this version of Roster.*9999_from_the_future/,
    );
    assert.equal(output.trim().split('\n').length, 1);
  });
});
