// The TypeScript client (clients/typescript) against a real server process on each engine:
// login, every users operation (PUT, hidden from the document, is tested as ZenML sends it in
// compatibility.test.ts), paging to the end of a 1,000-account directory, an If-Match
// conflict as a typed error, and a device login approved from a second account.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRosterClient, DeviceLoginError, ok, RosterError } from '../clients/typescript/src/index.js';
import { runCli } from '../src/cli/program.js';
import { engines, freshDatabase, PASSWORD, type FreshDatabase } from './helpers.js';
import { startServer, type Started } from './process.js';

const ADMIN = 'client-test-admin-password';

for (const engine of engines()) {
  describe(`the TypeScript client [${engine}]`, () => {
    let database: FreshDatabase;
    let server: Started;
    const client = () => createRosterClient({ baseUrl: server.url });

    before(async () => {
      database = await freshDatabase(engine);
      const env = { ROSTER_DATABASE_URL: database.processUrl, ROSTER_ADMIN_PASSWORD: ADMIN };
      // 1,000 accounts, bulk-loaded the way operators fill a directory.
      const seeded = await runCli(['seed', '--users', '1000'], {
        stdout: () => undefined,
        stderr: () => undefined,
        stderrIsTerminal: false,
        readPassword: async () => '',
        env,
      });
      assert.equal(seeded, 0);
      server = await startServer({ ...env, ROSTER_LOG_LEVEL: 'warn' });
    });
    after(async () => {
      await server?.stop();
      await database?.drop();
    });

    it('logs in, and refuses a wrong password with a typed 401', async () => {
      const admin = client();
      const token = await admin.login('admin', ADMIN);
      assert.equal(token.token_type, 'bearer');
      assert.equal(admin.accessToken, token.access_token);
      const me = await ok(admin.api.GET('/api/v1/users/me'));
      assert.equal(me.username, 'admin');
      await assert.rejects(client().login('admin', 'wrong-password'), (error: unknown) => {
        assert.ok(error instanceof RosterError);
        assert.equal(error.status, 401);
        assert.equal(error.errorName, 'AuthorizationException');
        return true;
      });
    });

    it('creates, reads, lists, updates and deletes a user, with typed errors', async () => {
      const admin = client();
      await admin.login('admin', ADMIN);
      const created = await ok(
        admin.api.POST('/api/v1/users', {
          body: { username: `client-${engine}`, password: PASSWORD, email: `client-${engine}@example.com` },
        }),
      );
      assert.equal(created.username, `client-${engine}`);
      const read = await ok(admin.api.GET('/api/v1/users/{user_id}', { params: { path: { user_id: created.id } } }));
      assert.equal(read.email, `client-${engine}@example.com`);
      const listed = await ok(
        admin.api.GET('/api/v1/users', { params: { query: { email: `CLIENT-${engine}@example.com` } } }),
      );
      assert.deepEqual(
        listed.map((u) => u.id),
        [created.id],
      );
      const patched = await ok(
        admin.api.PATCH('/api/v1/users/{user_id}', {
          params: { path: { user_id: created.id } },
          body: { job_title: 'Engineer' },
        }),
      );
      assert.equal(patched.job_title, 'Engineer');
      const plan = await ok(
        admin.api.DELETE('/api/v1/users/{user_id}', {
          params: { path: { user_id: created.id }, query: { dry_run: true } },
        }),
      );
      assert.equal(plan?.allowed, true);
      await ok(admin.api.DELETE('/api/v1/users/{user_id}', { params: { path: { user_id: created.id } } }));
      await assert.rejects(
        ok(admin.api.GET('/api/v1/users/{user_id}', { params: { path: { user_id: created.id } } })),
        (error: unknown) => error instanceof RosterError && error.status === 404 && error.errorName === 'KeyError',
      );
      await assert.rejects(
        ok(admin.api.POST('/api/v1/users', { body: { username: 'bad name!', password: PASSWORD } })),
        (error: unknown) => {
          assert.ok(error instanceof RosterError);
          assert.equal(error.status, 422);
          assert.deepEqual(error.issues[0]?.loc, ['body', 'username']);
          return true;
        },
      );
    });

    it('pages to the end of a 1,000-account directory, each account once, in list order', async () => {
      const admin = client();
      await admin.login('admin', ADMIN);
      const seen: string[] = [];
      let previous = '';
      for await (const user of admin.users({ limit: 150 })) {
        const key = `${user.created}|${user.id}`;
        assert.ok(key > previous, 'oldest first, never back');
        previous = key;
        seen.push(user.id);
      }
      assert.equal(new Set(seen).size, seen.length, 'no account twice');
      const total = await admin.api.GET('/api/v1/users', { params: { query: { include_total: true, limit: 1 } } });
      assert.equal(seen.length, Number(total.response.headers.get('x-total-count')));
      assert.ok(seen.length >= 1001, `${seen.length} accounts (1,000 seeded and the admin)`);
      const filtered: string[] = [];
      for await (const user of admin.users({ search: 'user99', limit: 4 })) filtered.push(user.username);
      assert.ok(filtered.length >= 11, `search pages too (${filtered.length})`);
      assert.ok(filtered.every((name) => name.startsWith('user99')));
    });

    it('answers a stale If-Match with a PreconditionFailed error, and changes nothing', async () => {
      const admin = client();
      await admin.login('admin', ADMIN);
      const [target] = await ok(admin.api.GET('/api/v1/users', { params: { query: { username: 'user7' } } }));
      const first = await admin.api.PATCH('/api/v1/users/{user_id}', {
        params: { path: { user_id: target!.id }, header: { 'if-match': '"v1"' } },
        body: { job_title: 'first' },
      });
      assert.equal(first.response.status, 200);
      assert.equal(first.response.headers.get('etag'), '"v2"');
      await assert.rejects(
        ok(
          admin.api.PATCH('/api/v1/users/{user_id}', {
            params: { path: { user_id: target!.id }, header: { 'if-match': '"v1"' } },
            body: { job_title: 'second' },
          }),
        ),
        (error: unknown) =>
          error instanceof RosterError && error.status === 412 && error.errorName === 'PreconditionFailed',
      );
      const after = await ok(admin.api.GET('/api/v1/users/{user_id}', { params: { path: { user_id: target!.id } } }));
      assert.equal(after.job_title, 'first');
    });

    it('logs in by device code once a second account approves it, and reports a denial', async () => {
      const approver = client();
      await approver.login('admin', ADMIN);
      const cli = client();
      let shown: { user_code: string; verification_uri: string } | undefined;
      let polls = 0;
      const token = await cli.deviceLogin({
        clientId: 'client-test',
        onCode: (code) => {
          shown = code;
        },
        // Approve after the first pending answer, as a person would between two polls.
        sleep: async () => {
          polls += 1;
          if (polls === 2) {
            const answer = await approver.api.POST('/api/v1/auth/device/verify', {
              body: { user_code: shown!.user_code, approve: true },
            });
            assert.equal(answer.response.status, 204);
          }
          // The server asks for 5 s between polls: the test waits for real, but only that once.
          if (polls >= 2) await new Promise((resolve) => setTimeout(resolve, 5_100));
        },
      });
      assert.match(shown!.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
      assert.equal(shown!.verification_uri, '/admin/device');
      assert.equal(cli.accessToken, token.access_token);
      const me = await ok(cli.api.GET('/api/v1/users/me'));
      assert.equal(me.username, 'admin', 'the token is the approving account');

      const denied = client();
      let code = '';
      await assert.rejects(
        denied.deviceLogin({
          onCode: (started) => {
            code = started.user_code;
          },
          // The person denies it before the first poll.
          sleep: async () => {
            const answer = await approver.api.POST('/api/v1/auth/device/verify', {
              body: { user_code: code, approve: false },
            });
            assert.equal(answer.response.status, 204);
          },
        }),
        (error: unknown) => error instanceof DeviceLoginError && error.code === 'access_denied',
      );
    });
  });
}
