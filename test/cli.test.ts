/**
 * The `roster` command line (API.md 9), on both engines: every command run
 * in-process against the database of a live app (as an operator would while
 * the server runs), its output, exit code and effect checked through the API.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { runCli } from '../src/cli/program.js';
import type { CliIo } from '../src/cli/io.js';
import {
  ADMIN_PASSWORD,
  PASSWORD,
  bearer,
  createTestApp,
  createUser,
  createUserWithToken,
  engines,
  login,
  type TestApp,
} from './helpers.js';

interface Run {
  code: number | undefined;
  stdout: string;
  stderr: string;
}

/** Runs `roster <argv>` on the app's database; `stdin` is what a pipe would carry. */
async function roster(t: TestApp, argv: string[], stdin = '', env: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    stderrIsTerminal: false,
    readPassword: async () => stdin.split(/\r?\n/)[0] ?? '',
    env: { ROSTER_DATABASE_URL: t.databaseUrl, ROSTER_ADMIN_PASSWORD: ADMIN_PASSWORD, ...env },
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

async function loginStatus(t: TestApp, username: string, password: string): Promise<number> {
  const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  return response.statusCode;
}

async function meStatus(t: TestApp, token: string): Promise<number> {
  return (await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(token) })).statusCode;
}

async function findUser(t: TestApp, username: string): Promise<Record<string, any> | undefined> {
  const response = await t.app.inject({
    method: 'GET',
    url: `/api/v1/users?username=${username}`,
    headers: bearer(t.adminToken),
  });
  return response.json()[0];
}

/** One line on standard error, nothing on standard output. */
function assertOneLineFailure(run: Run, pattern: RegExp) {
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.match(run.stderr, pattern);
}

for (const engine of engines()) {
  describe(`roster command line (${engine})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(engine);
    });
    after(async () => t.close());

    describe('users create', () => {
      it('creates a local account with the password piped on standard input', async () => {
        const run = await roster(
          t,
          ['users', 'create', 'cli-alice', '--email', 'cli-alice@example.com', '--name', 'Alice'],
          'a-long-password\n',
        );
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /^created cli-alice \([0-9a-f-]{36}\)\n$/);
        assert.ok(!run.stdout.includes('a-long-password'), 'a piped password is not echoed');
        const user = await findUser(t, 'cli-alice');
        assert.equal(user?.email, 'cli-alice@example.com');
        assert.equal(user?.name, 'Alice');
        assert.equal(user?.is_superuser, false);
        assert.equal(await loginStatus(t, 'cli-alice', 'a-long-password'), 200);
      });

      it('--superuser and --generate: a superuser whose generated password is printed once and works', async () => {
        const run = await roster(t, ['users', 'create', 'cli-root', '--superuser', '--generate']);
        assert.equal(run.code, 0, run.stderr);
        const password = /password \(shown once\): (\S+)/.exec(run.stdout)?.[1];
        assert.ok(password && password.length >= 20);
        assert.equal(run.stdout.split(password).length - 1, 1);
        assert.equal((await findUser(t, 'cli-root'))?.is_superuser, true);
        assert.equal(await loginStatus(t, 'cli-root', password), 200);
      });

      it('refuses a taken username, a bad username, a short password or none, changing nothing', async () => {
        await createUser(t, { username: 'cli-taken' });
        const before = await findUser(t, 'cli-taken');
        assertOneLineFailure(await roster(t, ['users', 'create', 'CLI-TAKEN'], 'another-password\n'), /already/);
        assert.deepEqual(await findUser(t, 'cli-taken'), before);
        assertOneLineFailure(
          await roster(t, ['users', 'create', 'bad name!'], 'another-password\n'),
          /username: String should match pattern/,
        );
        assertOneLineFailure(
          await roster(t, ['users', 'create', 'cli-short'], 'short\n'),
          /password: String should have at least 8 characters/,
        );
        assertOneLineFailure(await roster(t, ['users', 'create', 'cli-none'], ''), /no password given/);
        assertOneLineFailure(
          await roster(t, ['users', 'create', 'cli-mail', '--email', 'not-an-email'], 'another-password\n'),
          /email/,
        );
        for (const name of ['cli-short', 'cli-none', 'cli-mail']) assert.equal(await findUser(t, name), undefined);
      });
    });

    describe('users list', () => {
      it('lists accounts as a table, as JSON, by search prefix and up to a limit', async () => {
        await createUser(t, { username: 'listed-one', email: 'listed-one@example.com' });
        await createUser(t, { username: 'listed-two' });
        const all = await roster(t, ['users', 'list']);
        assert.equal(all.code, 0, all.stderr);
        assert.match(all.stdout, /^ID\s+USERNAME\s+EMAIL\s+FLAGS\s+CREATED\n/);
        assert.match(all.stdout, /listed-one\s+listed-one@example.com\s+active/);
        assert.match(all.stdout, /\badmin\s+active,superuser/);

        const json = await roster(t, ['users', 'list', '--search', 'LISTED', '--json']);
        assert.equal(json.code, 0, json.stderr);
        const users = JSON.parse(json.stdout) as Record<string, unknown>[];
        assert.deepEqual(
          users.map((u) => u.username),
          ['listed-one', 'listed-two'],
        );
        assert.ok(!('password_hash' in users[0]!));
        assert.ok(!json.stdout.includes('argon2'), 'no hash in the output');

        const limited = JSON.parse((await roster(t, ['users', 'list', '--json', '--limit', '1'])).stdout) as unknown[];
        assert.equal(limited.length, 1);
      });
    });

    describe('users set-password', () => {
      it("sets a local account's password and revokes its sessions", async () => {
        const { user, token } = await createUserWithToken(t);
        const run = await roster(t, ['users', 'set-password', user.username], 'brand-new-password\n');
        assert.equal(run.code, 0, run.stderr);
        assert.equal(await loginStatus(t, user.username, 'brand-new-password'), 200);
        assert.equal(await loginStatus(t, user.username, PASSWORD), 401);
        assert.equal(await meStatus(t, token), 401);
      });

      it('refuses an OAuth2 account and a service account, changing nothing', async () => {
        const oauth = await t.repos.users.insert(
          uuidv7(),
          {
            username: 'sso-person@example.com',
            email: 'sso-person@example.com',
            oauth_provider: 'idp',
            oauth_id: 'sub-1',
          },
          new Date().toISOString(),
        );
        assertOneLineFailure(
          await roster(t, ['users', 'set-password', oauth.username], 'brand-new-password\n'),
          /refused: .*OAuth2/,
        );
        assert.equal((await t.repos.users.findById(oauth.id))?.password_hash, null);

        const { token: ownerToken } = await createUserWithToken(t);
        const org = (
          await t.app.inject({
            method: 'POST',
            url: '/api/v1/organizations',
            headers: bearer(ownerToken),
            payload: { name: `cli-org-${uuidv7()}` },
          })
        ).json();
        const sa = (
          await t.app.inject({
            method: 'POST',
            url: `/api/v1/organizations/${org.id}/service_accounts`,
            headers: bearer(ownerToken),
            payload: { username: 'cli-robot' },
          })
        ).json();
        const versionBefore = (await t.repos.users.findById(sa.id))?.version;
        assertOneLineFailure(
          await roster(t, ['users', 'set-password', 'cli-robot'], 'brand-new-password\n'),
          /refused: .*API keys/,
        );
        const after = await t.repos.users.findById(sa.id);
        assert.equal(after?.password_hash, null);
        assert.equal(after?.version, versionBefore);
      });

      it('refuses an unknown account', async () => {
        assertOneLineFailure(
          await roster(t, ['users', 'set-password', 'nobody-here'], 'brand-new-password\n'),
          /no account is named nobody-here/,
        );
      });
    });

    describe('users unlock', () => {
      it('clears the failed-login counter of an account, so that its owner logs in at once', async () => {
        const user = await createUser(t);
        for (let i = 0; i < t.config.loginThrottle.maxFailuresPerUsername; i++)
          await loginStatus(t, user.username, 'wrong-password');
        assert.equal(await loginStatus(t, user.username, PASSWORD), 429);
        const run = await roster(t, ['users', 'unlock', user.username]);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(await loginStatus(t, user.username, PASSWORD), 200);
      });
    });

    describe('users deactivate / activate', () => {
      it('deactivation stops logins and revokes tokens; activation lets the account in again', async () => {
        const { user, token } = await createUserWithToken(t);
        const off = await roster(t, ['users', 'deactivate', user.username]);
        assert.equal(off.code, 0, off.stderr);
        assert.equal(await meStatus(t, token), 401);
        assert.equal(await loginStatus(t, user.username, PASSWORD), 401);
        assert.equal((await findUser(t, user.username))?.is_active, false);
        const on = await roster(t, ['users', 'activate', user.username]);
        assert.equal(on.code, 0, on.stderr);
        assert.equal(await loginStatus(t, user.username, PASSWORD), 200);
      });

      it('refuses to deactivate the internal account', async () => {
        assertOneLineFailure(
          await roster(t, ['users', 'deactivate', 'admin']),
          /refused: the internal account cannot be deactivated/,
        );
        assert.equal((await findUser(t, 'admin'))?.is_active, true);
      });
    });

    describe('admin reset-password', () => {
      it("--generate: a new internal password that works at once, while the old one and the admin's tokens stop", async () => {
        const admin = await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { username: 'admin', password: ADMIN_PASSWORD },
        });
        const oldToken = admin.json().access_token as string;
        // A locked-out admin is the usual reason for a reset.
        for (let i = 0; i < t.config.loginThrottle.maxFailuresPerUsername; i++)
          await loginStatus(t, 'admin', 'wrong-password');
        const run = await roster(t, ['admin', 'reset-password', '--generate']);
        assert.equal(run.code, 0, run.stderr);
        const password = /password \(shown once\): (\S+)/.exec(run.stdout)?.[1];
        assert.ok(password);
        assert.equal(await loginStatus(t, 'admin', ADMIN_PASSWORD), 401);
        assert.equal(await meStatus(t, oldToken), 401);
        t.adminToken = await login(t.app, 'admin', password);

        const piped = await roster(t, ['admin', 'reset-password'], `${ADMIN_PASSWORD}\n`);
        assert.equal(piped.code, 0, piped.stderr);
        assert.ok(!piped.stdout.includes(ADMIN_PASSWORD));
        assert.equal(await loginStatus(t, 'admin', password), 401);
        t.adminToken = await login(t.app, 'admin', ADMIN_PASSWORD);
      });
    });

    describe('migrate', () => {
      it('says the schema is up to date', async () => {
        const run = await roster(t, ['migrate']);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.stdout, 'roster migrate: the schema is up to date\n');
      });
    });

    describe('usage', () => {
      const commands = [
        [],
        ['serve'],
        ['migrate'],
        ['seed'],
        ['users'],
        ['users', 'list'],
        ['users', 'create'],
        ['users', 'set-password'],
        ['users', 'unlock'],
        ['users', 'deactivate'],
        ['users', 'activate'],
        ['admin'],
        ['admin', 'reset-password'],
      ];

      it('--help on every command prints its usage and exits 0, changing nothing', async () => {
        const before = (
          await t.app.inject({ method: 'GET', url: '/api/v1/users?include_total=true', headers: bearer(t.adminToken) })
        ).headers['x-total-count'];
        for (const command of commands) {
          const run = await roster(t, [...command, '--help']);
          assert.equal(run.code, 0, `${command.join(' ')}: ${run.stderr}`);
          assert.match(run.stdout, new RegExp(`^Usage: roster ${command.join(' ')}`));
        }
        const after = (
          await t.app.inject({ method: 'GET', url: '/api/v1/users?include_total=true', headers: bearer(t.adminToken) })
        ).headers['x-total-count'];
        assert.equal(after, before);
      });

      it('an unknown command, an unknown option or a missing argument prints usage on stderr and exits 2', async () => {
        for (const argv of [
          ['bogus'],
          ['users', 'list', '--bogus'],
          ['users', 'create'],
          ['seed'],
          ['seed', '--users', 'many'],
          ['users'],
        ]) {
          const run = await roster(t, argv);
          assert.equal(run.code, 2, argv.join(' '));
          assert.match(run.stderr, /Usage: roster/, argv.join(' '));
          assert.equal(run.stdout, '');
        }
      });

      it('--search outside 1 to 255 characters is wrong usage (exit 2)', async () => {
        for (const search of ['', 'x'.repeat(256)]) {
          const run = await roster(t, ['users', 'list', '--search', search]);
          assert.equal(run.code, 2);
          assert.match(run.stderr, /1 to 255 characters/);
        }
      });

      it('account commands refuse a database with migrations pending, and change nothing', async () => {
        const last = await sql<{
          name: string;
          timestamp: string;
        }>`select name, timestamp from kysely_migration order by name desc limit 1`.execute(t.handle.db);
        const { name, timestamp } = last.rows[0]!;
        await sql`delete from kysely_migration where name = ${name}`.execute(t.handle.db);
        try {
          const run = await roster(t, ['users', 'create', 'cli-pending'], 'a-long-password\n');
          assertOneLineFailure(run, /has migrations pending .*roster migrate/);
          assert.equal(await findUser(t, 'cli-pending'), undefined);
          const applied = await sql<{
            n: number;
          }>`select count(*) as n from kysely_migration where name = ${name}`.execute(t.handle.db);
          assert.equal(Number(applied.rows[0]!.n), 0, 'the command did not migrate');
        } finally {
          await sql`insert into kysely_migration (name, timestamp) values (${name}, ${timestamp})`.execute(t.handle.db);
        }
      });

      it('a bad setting is one line and exit 1', async () => {
        assertOneLineFailure(
          await roster(t, ['users', 'list'], '', { ROSTER_DATABASE_URL: 'mysql://nope' }),
          /ROSTER_DATABASE_URL must be/,
        );
      });
    });
  });
}

describe('roster command line without a database', () => {
  it('an unreachable database is one line and exit 1', async () => {
    let stderr = '';
    const code = await runCli(['users', 'list'], {
      stdout: () => undefined,
      stderr: (text) => {
        stderr += text;
      },
      stderrIsTerminal: false,
      readPassword: async () => '',
      env: { ROSTER_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' },
    });
    assert.equal(code, 1);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.match(
      stderr,
      /^roster users list: cannot use the database \(postgres:\/\/postgres@127\.0\.0\.1:1\/test\): .*ECONNREFUSED/,
    );
  });
});
