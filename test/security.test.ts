/**
 * The findings of the security review (each numbered as in the review), on
 * both engines: every test here failed before the fix. Client addresses come
 * from X-Forwarded-For through one trusted proxy (ROSTER_TRUST_PROXY=1).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { startDevIdp, type DevIdp } from '../dev/idp.js';
import { discoverOidc } from '../src/modules/sso/oidc-client.js';
import { buildServices } from '../src/services.js';
import { openDatabase } from '../src/db/dialect.js';
import { migrateTo, migrateToLatest } from '../src/db/migrate.js';
import {
  ADMIN_PASSWORD,
  PASSWORD,
  bearer,
  createTestApp,
  createUser,
  createUserWithToken,
  detail,
  engines,
  freshDatabase,
  rawUserRow,
  type TestApp,
} from './helpers.js';

const ATTACKER = '203.0.113.66';
const OWNER = '198.51.100.7';

for (const engine of engines()) {
  describe(`security findings [${engine}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(engine, { ROSTER_TRUST_PROXY: '1' });
    });
    after(async () => t.close());

    const loginFrom = (address: string, username: string | undefined, password: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'x-forwarded-for': address },
        payload: username === undefined ? { password } : { username, password },
      });
    const send = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, token: string, payload?: unknown) =>
      t.app.inject({
        method,
        url,
        headers: bearer(token),
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
    const max = () => t.config.loginThrottle.maxFailuresPerUsername;
    const hashes = async () => {
      const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      const value = Number(/^roster_password_hashes_total (\d+)$/m.exec(text)?.[1]);
      assert.ok(Number.isFinite(value), 'roster_password_hashes_total is exported');
      return value;
    };

    describe('1. no lockout button', () => {
      it("an attacker's failures stop the attacker's address only; the owner logs in from its own; a superuser clears the counters", async () => {
        const admin = (await send('GET', '/api/v1/users/me', t.adminToken)).json();
        for (let i = 0; i < max(); i++) {
          assert.equal((await loginFrom(ATTACKER, i % 2 ? 'ADMIN' : 'admin', 'wrong-password')).statusCode, 401);
        }
        const stopped = await loginFrom(ATTACKER, 'admin', ADMIN_PASSWORD);
        assert.equal(stopped.statusCode, 429);
        assert.ok(Number(stopped.headers['retry-after']) > 0);
        assert.equal((await loginFrom(OWNER, 'admin', ADMIN_PASSWORD)).statusCode, 200, 'the owner is not locked out');
        assert.equal((await loginFrom(ATTACKER, 'admin', ADMIN_PASSWORD)).statusCode, 429, 'the attacker still is');

        const plain = await createUserWithToken(t);
        assert.equal((await send('DELETE', `/api/v1/users/${admin.id}/login_failures`, plain.token)).statusCode, 403);
        assert.equal(
          (await loginFrom(ATTACKER, 'admin', ADMIN_PASSWORD)).statusCode,
          429,
          'a refused clear changes nothing',
        );
        assert.equal((await send('DELETE', `/api/v1/users/${admin.id}/login_failures`, t.adminToken)).statusCode, 204);
        assert.equal((await loginFrom(ATTACKER, 'admin', ADMIN_PASSWORD)).statusCode, 200);
        assert.equal(
          (await send('DELETE', '/api/v1/users/01a00000-0000-7000-8000-000000000000/login_failures', t.adminToken))
            .statusCode,
          404,
        );
      });
    });

    describe('1b. addresses as a client holds them', () => {
      it('counts an IPv6 client by its /64 network and an IPv4-mapped address as its IPv4 form', async () => {
        const user = await createUser(t);
        for (let i = 0; i < max(); i++)
          await loginFrom(`2001:db8:7:7::${(i + 1).toString(16)}`, user.username, 'wrong-password');
        assert.equal(
          (await loginFrom('2001:db8:7:7:ffff::1', user.username, PASSWORD)).statusCode,
          429,
          'the same /64',
        );
        assert.equal((await loginFrom('2001:db8:7:8::1', user.username, PASSWORD)).statusCode, 200, 'another /64');
        const other = await createUser(t);
        for (let i = 0; i < max(); i++) await loginFrom('192.0.2.44', other.username, 'wrong-password');
        assert.equal((await loginFrom('::ffff:192.0.2.44', other.username, PASSWORD)).statusCode, 429);
      });
    });

    describe('2. no login-name squatting', () => {
      it("an account cannot take a username with '@' that is not its own verified email, nor catch logins with an email it set itself", async () => {
        const mal = await createUserWithToken(t, { username: 'mal' });
        const before = (await send('GET', '/api/v1/users/me', mal.token)).json();
        const squat = await send('PATCH', '/api/v1/users/me', mal.token, { username: 'alice@example.com' });
        assert.equal(squat.statusCode, 400);
        assert.equal(detail(squat)[0], 'ValueError');
        assert.deepEqual((await send('GET', '/api/v1/users/me', mal.token)).json(), before);

        const email = await send('PATCH', '/api/v1/users/me', mal.token, { email: 'alice@example.com' });
        assert.equal(email.statusCode, 200);
        assert.equal(email.json().email_verified, false);
        assert.equal(
          (await send('PATCH', '/api/v1/users/me', mal.token, { username: 'alice@example.com' })).statusCode,
          400,
        );
        assert.equal(
          (await loginFrom(OWNER, 'alice@example.com', PASSWORD)).statusCode,
          401,
          'an unverified email is no login name',
        );
        assert.equal((await loginFrom(OWNER, 'mal', PASSWORD)).statusCode, 200);
      });

      it("a service account cannot be named like an email; a superuser's account can use its own verified email as username", async () => {
        const owner = await createUserWithToken(t);
        const org = (await send('POST', '/api/v1/organizations', owner.token, { name: `squat-${engine}` })).json();
        const robot = await send('POST', `/api/v1/organizations/${org.id}/service_accounts`, owner.token, {
          username: 'carol@example.com',
        });
        assert.equal(robot.statusCode, 400);
        const created = await send('POST', '/api/v1/users', t.adminToken, {
          username: 'bob@example.com',
          email: 'BOB@example.com',
          password: PASSWORD,
        });
        assert.equal(created.statusCode, 201);
        assert.equal(created.json().email_verified, true);
        assert.equal((await loginFrom(OWNER, 'bob@example.com', PASSWORD)).statusCode, 200);
        const mismatch = await send('POST', '/api/v1/users', t.adminToken, {
          username: 'dan@example.com',
          email: 'other@example.com',
          password: PASSWORD,
        });
        assert.equal(mismatch.statusCode, 400);
      });

      it("a provider's verified claim takes an email a local account set on itself; a verified one stays a 409", async () => {
        const holder = await createUserWithToken(t, { username: 'erin-local' });
        await send('PATCH', '/api/v1/users/me', holder.token, { email: 'erin@example.com' });
        const clock = t.clock.now;
        const { users } = buildServices(t.handle.db, { clock, config: t.config });
        const erin = await users.signInOauth({
          provider: 'idp',
          sub: 'erin-sub',
          email: 'erin@example.com',
          email_verified: true,
        });
        assert.equal(erin.username, 'erin@example.com');
        assert.equal(erin.email_verified, true);
        const after = (await send('GET', '/api/v1/users/me', holder.token)).json();
        assert.equal(after.email, null);
        assert.equal(after.email_verified, false);
        await assert.rejects(
          users.signInOauth({ provider: 'idp', sub: 'bob-sub', email: 'bob@example.com', email_verified: true }),
          (error: Error) => error.constructor.name === 'EntityExistsError',
        );
      });
    });

    describe('3. no membership without consent', () => {
      it('an organization admin cannot add anyone: every non-member answers the same 403 and nothing changes; an invitation must be accepted', async () => {
        const admin = await createUserWithToken(t);
        const victim = await createUserWithToken(t, { email: `victim-${engine}@example.com` });
        const other = await createUserWithToken(t);
        const org = (await send('POST', '/api/v1/organizations', admin.token, { name: `consent-${engine}` })).json();
        const elsewhere = (
          await send('POST', '/api/v1/organizations', other.token, { name: `elsewhere-${engine}` })
        ).json();
        const robot = (
          await send('POST', `/api/v1/organizations/${elsewhere.id}/service_accounts`, other.token, {
            username: `robot-${engine}`,
          })
        ).json();
        const answers = [];
        for (const target of [victim.user.id, robot.id, '01a00000-0000-7000-8000-000000000001']) {
          const response = await send('PUT', `/api/v1/organizations/${org.id}/members/${target}`, admin.token, {
            role: 'admin',
          });
          answers.push([response.statusCode, detail(response)[0], detail(response)[1].replace(target, '<id>')]);
        }
        assert.deepEqual(answers[0], [403, 'IllegalOperationError', answers[0]![2]]);
        assert.deepEqual(answers[1], answers[0]);
        assert.deepEqual(answers[2], answers[0]);
        const members = (await send('GET', `/api/v1/organizations/${org.id}/members`, admin.token)).json();
        assert.deepEqual(
          members.map((m: { user: { id: string } }) => m.user.id),
          [admin.user.id],
        );
        assert.equal((await send('GET', `/api/v1/organizations/${org.id}`, victim.token)).statusCode, 404);
        assert.equal(
          (await send('GET', `/api/v1/users/${victim.user.id}`, admin.token)).statusCode,
          404,
          'not visible either',
        );

        // By account the admin cannot see: 404, like an unknown id. By email: 201.
        assert.equal(
          (
            await send('POST', `/api/v1/organizations/${org.id}/invitations`, admin.token, {
              user_id: victim.user.id,
              role: 'viewer',
            })
          ).statusCode,
          404,
        );
        const invitation = await send('POST', `/api/v1/organizations/${org.id}/invitations`, admin.token, {
          email: victim.user.email,
          role: 'viewer',
        });
        assert.equal(invitation.statusCode, 201);
        assert.equal(invitation.json().status, 'pending');
        const nobody = await send('POST', `/api/v1/organizations/${org.id}/invitations`, admin.token, {
          email: `nobody-${engine}@example.com`,
          role: 'viewer',
        });
        assert.equal(nobody.statusCode, 201, 'no enumeration by email');
        assert.equal(
          (await send('POST', `/api/v1/invitations/${invitation.json().id}/accept`, other.token)).statusCode,
          404,
        );
        const mine = (await send('GET', '/api/v1/users/me/invitations', victim.token)).json();
        assert.deepEqual(
          mine.map((i: { id: string }) => i.id),
          [invitation.json().id],
        );
        const accepted = await send('POST', `/api/v1/invitations/${invitation.json().id}/accept`, victim.token);
        assert.equal(accepted.statusCode, 200);
        assert.equal(accepted.json().role, 'viewer');
        assert.equal((await send('GET', `/api/v1/organizations/${org.id}`, victim.token)).statusCode, 200);
        assert.equal(
          (await send('POST', `/api/v1/invitations/${invitation.json().id}/accept`, victim.token)).statusCode,
          400,
          'answered once',
        );
      });
    });

    describe('4. no existence leaks', () => {
      it('a workspace member PUT answers an account the caller cannot see exactly like an unknown id', async () => {
        const admin = await createUserWithToken(t);
        const stranger = await createUser(t);
        const org = (await send('POST', '/api/v1/organizations', admin.token, { name: `leak-${engine}` })).json();
        const ws = (
          await send('POST', `/api/v1/organizations/${org.id}/workspaces`, admin.token, { name: 'w' })
        ).json();
        const unseen = await send('PUT', `/api/v1/workspaces/${ws.id}/members/${stranger.id}`, admin.token, {
          role: 'viewer',
        });
        const unknown = await send(
          'PUT',
          `/api/v1/workspaces/${ws.id}/members/01a00000-0000-7000-8000-000000000002`,
          admin.token,
          { role: 'viewer' },
        );
        assert.equal(unseen.statusCode, 404);
        assert.equal(unknown.statusCode, 404);
        assert.equal(detail(unseen)[0], detail(unknown)[0]);
        assert.ok(!detail(unseen)[1].includes(stranger.username), 'the answer names no account');
      });

      it('failures for one name never make another name of the same account answer 429', async () => {
        const dave = await createUser(t, { username: `dave-${engine}`, email: `dave-${engine}@example.com` });
        for (let i = 0; i < max(); i++) await loginFrom(ATTACKER, dave.username, 'wrong-password');
        for (let i = 0; i < max(); i++) await loginFrom(ATTACKER, `ghost-${engine}`, 'wrong-password');
        const byName = await loginFrom(ATTACKER, dave.username, 'wrong-password');
        const ghost = await loginFrom(ATTACKER, `ghost-${engine}`, 'wrong-password');
        assert.equal(byName.statusCode, 429);
        assert.deepEqual(
          [ghost.statusCode, ghost.json()],
          [byName.statusCode, byName.json()],
          'the same 429 for a name nobody has',
        );
        const byEmail = await loginFrom(ATTACKER, dave.email, 'wrong-password');
        const ghostEmail = await loginFrom(ATTACKER, `ghost-${engine}@example.com`, 'wrong-password');
        assert.equal(byEmail.statusCode, 401);
        assert.deepEqual([byEmail.statusCode, byEmail.json()], [ghostEmail.statusCode, ghostEmail.json()]);
      });
    });

    describe('5. no CPU for free', () => {
      it('a password change the caller may not make is refused before any hashing', async () => {
        const plain = await createUserWithToken(t);
        const target = await createUser(t);
        const before = await hashes();
        const refused = await send('PATCH', `/api/v1/users/${target.id}`, plain.token, {
          password: 'x'.repeat(1000) + 'y',
        });
        assert.equal(refused.statusCode, 403);
        const missing = await send('PATCH', '/api/v1/users/01a00000-0000-7000-8000-000000000003', plain.token, {
          password: 'a-strong-password-9',
        });
        assert.equal(missing.statusCode, 403);
        assert.equal(await hashes(), before, 'no hash was computed');
        const allowed = await send('PATCH', `/api/v1/users/${target.id}`, t.adminToken, {
          password: 'a-strong-password-9',
        });
        assert.equal(allowed.statusCode, 200);
        assert.equal(await hashes(), before + 1, 'the counter counts');
      });
    });

    describe('6. text PostgreSQL cannot store is a 422 on both engines', () => {
      it('a lone surrogate as a value or a key is refused; a valid pair is stored', async () => {
        const user = await createUserWithToken(t);
        const before = (await send('GET', '/api/v1/users/me', user.token)).json();
        for (const body of ['{"metadata": {"a": "\\ud800"}}', '{"metadata": {"\\udc00": 1}}', '{"name": "x\\ud83d"}']) {
          const response = await t.app.inject({
            method: 'PATCH',
            url: '/api/v1/users/me',
            headers: { ...bearer(user.token), 'content-type': 'application/json' },
            payload: body,
          });
          assert.equal(response.statusCode, 422, body);
          assert.equal(response.json().detail[0].type, 'string_unicode', body);
          assert.equal(response.json().detail[0].loc[0], 'body');
        }
        assert.deepEqual((await send('GET', '/api/v1/users/me', user.token)).json(), before);
        const pair = await t.app.inject({
          method: 'PATCH',
          url: '/api/v1/users/me',
          headers: { ...bearer(user.token), 'content-type': 'application/json' },
          payload: '{"name": "smile \\ud83d\\ude00"}',
        });
        assert.equal(pair.statusCode, 200);
        assert.equal((await send('GET', '/api/v1/users/me', user.token)).json().name, 'smile \u{1F600}');
      });
    });

    describe('8. every error in the contract shape', () => {
      it('a path value over 100 characters is a 422 naming the field; an absurd one a 422 on the path', async () => {
        const long = await send('GET', `/api/v1/users/${'a'.repeat(150)}`, t.adminToken);
        assert.equal(long.statusCode, 422);
        assert.deepEqual(long.json().detail[0].loc, ['path', 'user_id']);
        const absurd = await send('GET', `/api/v1/users/${'a'.repeat(5000)}`, t.adminToken);
        assert.equal(absurd.statusCode, 422);
        assert.deepEqual(absurd.json().detail[0].loc, ['path']);
      });
    });

    describe('9. passwords beyond their length', () => {
      it('whitespace only, one repeated character and common passwords are a 422 password_too_common, and change nothing', async () => {
        const user = await createUserWithToken(t);
        for (const password of [
          '        ',
          '\t\t\t\t\t\t\t\t',
          'aaaaaaaaaa',
          'password1',
          'QWERTYUIOP',
          '1234567890',
        ]) {
          const created = await send('POST', '/api/v1/users', t.adminToken, { username: `weak-${engine}`, password });
          assert.equal(created.statusCode, 422, JSON.stringify(password));
          assert.equal(created.json().detail[0].type, 'password_too_common');
          assert.deepEqual(created.json().detail[0].loc, ['body', 'password']);
          assert.ok(!JSON.stringify(created.json()).includes(password.trim() || '\t'), 'the password is not echoed');
          const changed = await send('PATCH', '/api/v1/users/me', user.token, { password, current_password: PASSWORD });
          assert.equal(changed.statusCode, 422);
        }
        assert.equal((await send('GET', `/api/v1/users?username=weak-${engine}`, t.adminToken)).json().length, 0);
        assert.equal(
          (await loginFrom(OWNER, user.user.username, PASSWORD)).statusCode,
          200,
          'the password is unchanged',
        );
        assert.equal(
          (
            await send('POST', '/api/v1/users', t.adminToken, {
              username: `strong-${engine}`,
              password: 'plum-orbit-candle-41',
            })
          ).statusCode,
          201,
        );
      });
    });
  });

  describe(`7. bounded single sign-on starts [${engine}]`, () => {
    let idp: DevIdp;
    let t: TestApp;
    before(async () => {
      idp = await startDevIdp({
        clients: [
          {
            client_id: 'roster',
            client_secret: 'roster-secret',
            redirect_uris: ['http://roster.test/api/v1/auth/sso/callback'],
          },
        ],
        accounts: {},
      });
      const oidc = await discoverOidc({
        issuer: idp.issuer,
        clientId: 'roster',
        clientSecret: 'roster-secret',
        provider: 'dev-idp',
        publicUrl: 'http://roster.test',
      });
      t = await createTestApp(engine, { ROSTER_TRUST_PROXY: '1' }, { oidc });
    });
    after(async () => {
      await t.close();
      await idp.close();
    });

    it('one client address holds at most 20 pending logins; others are not affected', async () => {
      const start = (address: string) =>
        t.app.inject({ method: 'GET', url: '/api/v1/auth/sso/login', headers: { 'x-forwarded-for': address } });
      const statuses = [];
      for (let i = 0; i < 30; i++) statuses.push((await start(ATTACKER)).statusCode);
      assert.deepEqual(statuses, [...Array(20).fill(302), ...Array(10).fill(429)]);
      const rows = await sql<{ n: number }>`select count(*) as n from sso_logins`.execute(t.handle.db);
      assert.equal(Number(rows.rows[0]!.n), 20);
      assert.equal((await start(OWNER)).statusCode, 302);
      t.clock.advance(601);
      assert.equal((await start(ATTACKER)).statusCode, 302, 'expired logins free their place');
    });
  });
}

for (const engine of engines()) {
  describe(`upgrading a database that holds squatted usernames [${engine}]`, () => {
    it("renames accounts whose username with '@' is not their own email, and keeps the rest", async () => {
      const database = await freshDatabase(engine);
      const handle = await openDatabase(database.processUrl, { poolSize: 1 });
      try {
        await migrateTo(handle.db, '0004_sso_logins');
        const squatter = '01a00000-0000-7000-8000-00000000000a';
        const own = '01a00000-0000-7000-8000-00000000000b';
        const sso = '01a00000-0000-7000-8000-00000000000c';
        await handle.db
          .insertInto('users')
          .values([
            rawUserRow(squatter, 'Alice@Example.com', null),
            rawUserRow(own, 'bob@example.com', 'Bob@example.com'),
            rawUserRow(sso, 'carol@example.com', 'carol@example.com', { oauthProvider: 'idp' }),
          ] as never)
          .execute();
        await migrateToLatest(handle.db);
        const users = await handle.db
          .selectFrom('users')
          .select(['id', 'username', 'email_verified', 'version'])
          .orderBy('id')
          .execute();
        assert.deepEqual(
          users.map((u) => [u.id, u.username, Boolean(u.email_verified)]),
          [
            [squatter, `renamed-${squatter}`, false],
            [own, 'bob@example.com', false],
            [sso, 'carol@example.com', true],
          ],
        );
      } finally {
        await handle.close();
        await database.drop();
      }
    });
  });
}
