import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { v7 as uuidv7 } from 'uuid';
import { hashToken } from '../src/auth/tokens.js';
import {
  ADMIN_PASSWORD,
  PASSWORD,
  bearer,
  createTestApp,
  createUser,
  createUserWithToken,
  detail,
  engines,
  login,
  type TestApp,
} from './helpers.js';

for (const engine of engines()) {
  describe(`auth [${engine}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(engine);
    });
    after(() => t.close());

    const me = (token: string) => t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(token) });

    it('logs in with JSON and answers a bearer token with its lifetime', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'admin', password: ADMIN_PASSWORD },
      });
      assert.equal(response.statusCode, 200);
      const body = response.json();
      assert.equal(body.token_type, 'bearer');
      assert.equal(body.expires_in, 3600);
      assert.match(body.access_token, /^rst_[A-Za-z0-9_-]{43}$/);
      assert.equal((await me(body.access_token)).json().username, 'admin');
    });

    it('logs in with the OAuth2 password form', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `grant_type=password&username=admin&password=${encodeURIComponent(ADMIN_PASSWORD)}&scope=`,
      });
      assert.equal(response.statusCode, 200);
      assert.equal((await me(response.json().access_token)).statusCode, 200);
    });

    it('logs in with the email instead of the username, case-insensitively', async () => {
      const user = await createUser(t, { email: 'Mixed.Case@Example.com' });
      assert.equal(user.email_verified, true, 'set by a superuser');
      const token = await login(t.app, 'mixed.case@example.COM', PASSWORD);
      assert.equal((await me(token)).json().id, user.id);
    });

    it('takes only a verified email as a login name: one an account set on itself answers the same 401', async () => {
      const { user, token } = await createUserWithToken(t);
      const set = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: bearer(token),
        payload: { email: 'Self.Set@example.com' },
      });
      assert.equal(set.statusCode, 200);
      assert.equal(set.json().email_verified, false);
      const attempt = (username: string) =>
        t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password: PASSWORD } });
      const byEmail = await attempt('self.set@example.com');
      const unknown = await attempt('nobody.at.all@example.com');
      assert.equal(byEmail.statusCode, 401);
      assert.equal(byEmail.body, unknown.body);
      assert.equal((await attempt(user.username)).statusCode, 200, 'the username still works');
      // Once a superuser sets it, the email is verified and a login name.
      await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${user.id}`,
        headers: bearer(t.adminToken),
        payload: { email: null },
      });
      const verified = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${user.id}`,
        headers: bearer(t.adminToken),
        payload: { email: 'Self.Set@example.com' },
      });
      assert.equal(verified.json().email_verified, true);
      assert.equal((await me((await attempt('self.set@example.com')).json().access_token)).json().id, user.id);
    });

    it('answers the same 401 for a wrong password, an unknown user, an inactive account', async () => {
      const inactive = await createUser(t);
      await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${inactive.id}`,
        headers: bearer(t.adminToken),
        payload: { is_active: false },
      });
      const attempts = [
        { username: 'admin', password: 'not-the-password' },
        { username: 'nobody-by-that-name', password: PASSWORD },
        { username: inactive.username, password: PASSWORD },
      ];
      const answers = [];
      for (const payload of attempts) {
        const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload });
        assert.equal(response.statusCode, 401);
        assert.equal(response.headers['www-authenticate'], 'Bearer');
        answers.push(response.body);
      }
      assert.equal(new Set(answers).size, 1, 'every failed login looks the same');
      assert.deepEqual(JSON.parse(answers[0]!).detail, ['AuthorizationException', 'wrong username or password']);
    });

    it('never puts the password into a validation error', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'admin', password: 'x'.repeat(2000), bogus: 'field' },
      });
      assert.equal(response.statusCode, 422);
      assert.ok(!response.body.includes('xxxxxxxx'));
      assert.deepEqual(
        response
          .json()
          .detail.map((d: { loc: string[] }) => d.loc.join('.'))
          .sort(),
        ['body.bogus', 'body.password'],
      );
    });

    it('requires a bearer token on every users endpoint', async () => {
      const user = await createUser(t);
      const requests = [
        { method: 'GET', url: '/api/v1/users' },
        { method: 'POST', url: '/api/v1/users', payload: { username: 'x', password: PASSWORD } },
        { method: 'GET', url: '/api/v1/users/me' },
        { method: 'PATCH', url: '/api/v1/users/me', payload: {} },
        { method: 'GET', url: `/api/v1/users/${user.id}` },
        { method: 'PATCH', url: `/api/v1/users/${user.id}`, payload: { name: 'x' } },
        { method: 'DELETE', url: `/api/v1/users/${user.id}` },
        { method: 'POST', url: '/api/v1/auth/logout' },
      ] as const;
      for (const headers of [{}, { authorization: 'Bearer rst_not-a-real-token' }, { authorization: 'Basic abc' }]) {
        for (const request of requests) {
          const response = await t.app.inject({ ...request, headers });
          assert.equal(response.statusCode, 401, `${request.method} ${request.url} with ${JSON.stringify(headers)}`);
          assert.equal(detail(response)[0], 'AuthorizationException');
          assert.equal(response.headers['www-authenticate'], 'Bearer');
        }
      }
      assert.equal(
        (await t.app.inject({ method: 'GET', url: `/api/v1/users/${user.id}`, headers: bearer(t.adminToken) })).json()
          .name,
        null,
      );
    });

    it('checks authentication before validating the request', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/users/not-a-uuid' });
      assert.equal(response.statusCode, 401);
    });

    it('revokes the token on logout, effective on the next request', async () => {
      const { token } = await createUserWithToken(t);
      const other = await login(t.app, 'admin', ADMIN_PASSWORD);
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(token) });
      assert.equal(response.statusCode, 204);
      assert.equal(response.body, '');
      assert.equal((await me(token)).statusCode, 401);
      assert.equal((await me(other)).statusCode, 200, 'other sessions stay');
    });

    it('expires tokens after ROSTER_TOKEN_TTL', async () => {
      const { token } = await createUserWithToken(t);
      t.clock.advance(3599);
      assert.equal((await me(token)).statusCode, 200);
      t.clock.advance(1);
      assert.equal((await me(token)).statusCode, 401);
      t.adminToken = await login(t.app, 'admin', ADMIN_PASSWORD);
    });

    it("drops an account's expired sessions when it logs in again", async () => {
      const { user } = await createUserWithToken(t);
      await login(t.app, user.username, PASSWORD);
      t.clock.advance(3600);
      await login(t.app, user.username, PASSWORD);
      const rows = await t.handle.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute();
      assert.equal(rows.length, 1);
      t.adminToken = await login(t.app, 'admin', ADMIN_PASSWORD);
    });

    it('revokes every token of an account when it is deactivated', async () => {
      const { user, token } = await createUserWithToken(t);
      const patch = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${user.id}`,
        headers: bearer(t.adminToken),
        payload: { is_active: false },
      });
      assert.equal(patch.statusCode, 200);
      assert.equal((await me(token)).statusCode, 401);
      // Reactivation does not bring old tokens back.
      await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${user.id}`,
        headers: bearer(t.adminToken),
        payload: { is_active: true },
      });
      assert.equal((await me(token)).statusCode, 401);
      assert.equal((await me(await login(t.app, user.username, PASSWORD))).statusCode, 200);
    });

    it('revokes every token of an account when it is deleted', async () => {
      const { user, token } = await createUserWithToken(t);
      const response = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/users/${user.id}`,
        headers: bearer(t.adminToken),
      });
      assert.equal(response.statusCode, 204);
      assert.equal((await me(token)).statusCode, 401);
    });

    it("revokes the account's other tokens when it changes its own password, keeping the one used", async () => {
      const { user, token } = await createUserWithToken(t);
      const second = await login(t.app, user.username, PASSWORD);
      const response = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: bearer(token),
        payload: { password: 'a-new-password', current_password: PASSWORD },
      });
      assert.equal(response.statusCode, 200);
      assert.equal((await me(second)).statusCode, 401);
      assert.equal((await me(token)).statusCode, 200);
      await assert.rejects(login(t.app, user.username, PASSWORD));
      assert.equal((await me(await login(t.app, user.username, 'a-new-password'))).statusCode, 200);
    });

    it('never revives a session opened with credentials that changed meanwhile', async () => {
      // A login that checked the old password but stored its session after the change
      // carries the old credential version: it must be dead on arrival.
      const { user, token } = await createUserWithToken(t);
      const before = (await t.repos.users.findById(user.id))!;
      await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${user.id}`,
        headers: bearer(t.adminToken),
        payload: { password: 'changed-by-admin' },
      });
      const lateToken = 'rst_' + 'L'.repeat(43);
      await t.repos.sessions.insert({
        id: uuidv7(),
        token_hash: hashToken(lateToken),
        user_id: user.id,
        credential_version: before.credential_version,
        created: t.clock.now().toISOString(),
        expires: new Date(t.clock.now().getTime() + 3_600_000).toISOString(),
        api_key_id: null,
      });
      assert.equal((await me(lateToken)).statusCode, 401);
      assert.equal((await me(token)).statusCode, 401);
    });

    it('revokes every token of an account when a superuser sets its password', async () => {
      const { user, token } = await createUserWithToken(t);
      const response = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${user.id}`,
        headers: bearer(t.adminToken),
        payload: { password: 'set-by-the-admin' },
      });
      assert.equal(response.statusCode, 200);
      assert.equal((await me(token)).statusCode, 401);
      assert.equal((await me(t.adminToken)).statusCode, 200);
    });
  });

  describe(`failed-login rate limiting [${engine}]`, () => {
    it('answers 429 with Retry-After once a username has too many failures, then lets it in after the window', async () => {
      const t = await createTestApp(engine, { ROSTER_LOGIN_MAX_FAILURES: '3', ROSTER_LOGIN_WINDOW: '60' });
      try {
        const attempt = (password: string) =>
          t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password } });
        for (let i = 0; i < 3; i++) assert.equal((await attempt('wrong-password')).statusCode, 401);
        const limited = await attempt(ADMIN_PASSWORD);
        assert.equal(limited.statusCode, 429);
        assert.equal(detail(limited)[0], 'TooManyRequests');
        const retryAfter = Number(limited.headers['retry-after']);
        assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
        t.clock.advance(60);
        assert.equal((await attempt(ADMIN_PASSWORD)).statusCode, 200);
      } finally {
        await t.close();
      }
    });

    it('counts parallel guesses before checking them, so none slips past the limit', async () => {
      const t = await createTestApp(engine, { ROSTER_LOGIN_MAX_FAILURES: '3' });
      try {
        const responses = await Promise.all(
          Array.from({ length: 12 }, () =>
            t.app.inject({
              method: 'POST',
              url: '/api/v1/auth/login',
              payload: { username: 'admin', password: 'wrong-password' },
            }),
          ),
        );
        const statuses = responses.map((r) => r.statusCode).sort();
        assert.deepEqual(statuses, [...Array(3).fill(401), ...Array(9).fill(429)]);
      } finally {
        await t.close();
      }
    });

    it('counts each login name apart: failures on the username never make the email answer 429', async () => {
      const t = await createTestApp(engine, { ROSTER_LOGIN_MAX_FAILURES: '3' });
      try {
        const user = await createUser(t, { email: 'budget@example.com' });
        const attempt = (username: string, password = 'wrong-password') =>
          t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
        // The name as typed is case-folded: these three count against the username.
        assert.equal((await attempt(user.username)).statusCode, 401);
        assert.equal((await attempt(user.username.toUpperCase())).statusCode, 401);
        assert.equal((await attempt(user.username)).statusCode, 401);
        assert.equal((await attempt(user.username, PASSWORD)).statusCode, 429);
        // The email is another name: it answers as if the username's failures did not exist,
        // so counting reveals nothing about which names belong together.
        assert.equal((await attempt('BUDGET@example.com')).statusCode, 401);
        assert.equal((await attempt('budget@example.com', PASSWORD)).statusCode, 200);
        assert.equal((await attempt(user.username, PASSWORD)).statusCode, 429, 'the username is still limited');
      } finally {
        await t.close();
      }
    });

    it('answers 429 the same way for an existing and an unknown name', async () => {
      const t = await createTestApp(engine, { ROSTER_LOGIN_MAX_FAILURES: '3', ROSTER_LOGIN_WINDOW: '60' });
      try {
        const user = await createUser(t, { email: 'exists@example.com' });
        const limited = async (username: string) => {
          const attempt = () =>
            t.app.inject({
              method: 'POST',
              url: '/api/v1/auth/login',
              payload: { username, password: 'wrong-password' },
            });
          for (let i = 0; i < 3; i++) assert.equal((await attempt()).statusCode, 401, username);
          const response = await attempt();
          assert.equal(response.statusCode, 429, username);
          return {
            body: response.body,
            retryAfter: response.headers['retry-after'],
            authenticate: response.headers['www-authenticate'],
          };
        };
        const answers = [
          await limited(user.username),
          await limited('exists@example.com'),
          await limited('no-such-account'),
        ];
        assert.deepEqual(answers[1], answers[0]);
        assert.deepEqual(answers[2], answers[0]);
        assert.equal(JSON.parse(answers[0]!.body).detail[0], 'TooManyRequests');
      } finally {
        await t.close();
      }
    });

    it('never lets failures from another address stop the owner', async () => {
      const t = await createTestApp(engine, { ROSTER_LOGIN_MAX_FAILURES: '3' });
      try {
        const user = await createUser(t, { email: 'owner@example.com' });
        const attempt = (remoteAddress: string, username: string, password: string) =>
          t.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, payload: { username, password } });
        for (const name of [user.username, 'owner@example.com']) {
          for (let i = 0; i < 5; i++)
            assert.ok([401, 429].includes((await attempt('203.0.113.66', name, 'wrong-password')).statusCode));
          assert.equal((await attempt('203.0.113.66', name, PASSWORD)).statusCode, 429, 'the attacker is limited');
          assert.equal(
            (await attempt('198.51.100.7', name, PASSWORD)).statusCode,
            200,
            'the owner logs in from its own address',
          );
        }
      } finally {
        await t.close();
      }
    });

    it('tells addresses apart by X-Forwarded-For behind a trusted proxy, so the owner still logs in', async () => {
      const t = await createTestApp(engine, { ROSTER_LOGIN_MAX_FAILURES: '3', ROSTER_TRUST_PROXY: '127.0.0.1' });
      try {
        const attempt = (forwardedFor: string, password: string) =>
          t.app.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            headers: { 'x-forwarded-for': forwardedFor },
            payload: { username: 'admin', password },
          });
        for (let i = 0; i < 3; i++) assert.equal((await attempt('203.0.113.66', 'wrong-password')).statusCode, 401);
        assert.equal((await attempt('203.0.113.66', ADMIN_PASSWORD)).statusCode, 429);
        assert.equal((await attempt('198.51.100.7', ADMIN_PASSWORD)).statusCode, 200);
      } finally {
        await t.close();
      }
    });

    it('lets superusers clear the failed logins of an account (204): its names log in at once from every address', async () => {
      const t = await createTestApp(engine, { ROSTER_LOGIN_MAX_FAILURES: '2' });
      try {
        const user = await createUser(t, { email: 'unlock-me@example.com' });
        const { token: plainToken } = await createUserWithToken(t);
        const attempt = (remoteAddress: string, username: string, password: string) =>
          t.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, payload: { username, password } });
        const names = [user.username as string, 'UNLOCK-ME@example.com'];
        for (const address of ['203.0.113.1', '203.0.113.2']) {
          for (const name of names) {
            for (let i = 0; i < 2; i++) assert.equal((await attempt(address, name, 'wrong-password')).statusCode, 401);
            assert.equal((await attempt(address, name, PASSWORD)).statusCode, 429);
          }
        }
        const clear = (token: string, id = user.id as string) =>
          t.app.inject({ method: 'DELETE', url: `/api/v1/users/${id}/login_failures`, headers: bearer(token) });
        const refused = await clear(plainToken);
        assert.equal(refused.statusCode, 403);
        assert.equal(detail(refused)[0], 'IllegalOperationError');
        assert.equal(
          (await attempt('203.0.113.1', user.username, PASSWORD)).statusCode,
          429,
          'a refusal clears nothing',
        );
        assert.equal((await clear(plainToken, uuidv7())).statusCode, 403, 'whether or not the account exists');
        const missing = await clear(t.adminToken, uuidv7());
        assert.equal(missing.statusCode, 404);
        assert.equal(detail(missing)[0], 'KeyError');
        const cleared = await clear(t.adminToken);
        assert.equal(cleared.statusCode, 204);
        assert.equal(cleared.body, '');
        for (const address of ['203.0.113.1', '203.0.113.2']) {
          for (const name of names)
            assert.equal((await attempt(address, name, PASSWORD)).statusCode, 200, `${name} from ${address}`);
        }
      } finally {
        await t.close();
      }
    });

    it('rate limits guesses of current_password like logins', async () => {
      const t = await createTestApp(engine, { ROSTER_LOGIN_MAX_FAILURES: '3' });
      try {
        const { token } = await createUserWithToken(t);
        const guess = (current_password: string) =>
          t.app.inject({
            method: 'PATCH',
            url: '/api/v1/users/me',
            headers: bearer(token),
            payload: { password: 'a-new-password', current_password },
          });
        for (let i = 0; i < 3; i++) assert.equal((await guess(`wrong-${i}-password`)).statusCode, 403);
        const limited = await guess(PASSWORD);
        assert.equal(limited.statusCode, 429);
        assert.ok(Number(limited.headers['retry-after']) > 0);
      } finally {
        await t.close();
      }
    });

    it('ignores X-Forwarded-For unless the proxy is trusted', async () => {
      for (const [trust, limited] of [
        [undefined, true],
        ['127.0.0.1', false],
      ] as const) {
        const t = await createTestApp(engine, {
          ROSTER_LOGIN_MAX_FAILURES_PER_ADDRESS: '2',
          ...(trust ? { ROSTER_TRUST_PROXY: trust } : {}),
        });
        try {
          const statuses = [];
          for (let i = 0; i < 4; i++) {
            const response = await t.app.inject({
              method: 'POST',
              url: '/api/v1/auth/login',
              headers: { 'x-forwarded-for': `10.9.9.${i}` },
              payload: { username: `nobody-${i}`, password: 'wrong-password' },
            });
            statuses.push(response.statusCode);
          }
          assert.equal(statuses.includes(429), limited, `trust ${trust}: ${statuses}`);
        } finally {
          await t.close();
        }
      }
    });

    it('limits an address that tries many usernames, and unknown usernames count the same', async () => {
      const t = await createTestApp(engine, { ROSTER_LOGIN_MAX_FAILURES_PER_ADDRESS: '4' });
      try {
        for (let i = 0; i < 4; i++) {
          const response = await t.app.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            payload: { username: `nobody-${i}`, password: 'wrong-password' },
          });
          assert.equal(response.statusCode, 401);
        }
        const limited = await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { username: 'admin', password: ADMIN_PASSWORD },
        });
        assert.equal(limited.statusCode, 429);
        assert.ok(Number(limited.headers['retry-after']) > 0);
        const elsewhere = await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress: '10.0.0.9',
          payload: { username: 'admin', password: ADMIN_PASSWORD },
        });
        assert.equal(elsewhere.statusCode, 200, 'another address is not limited');
      } finally {
        await t.close();
      }
    });
  });
}
