// Device authorization (API.md 3.4, RFC 8628): a command-line client starts a device login and
// polls POST /auth/login with the device-code grant; a person approves its user code.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, createTestApp, createUserWithToken, engines, type TestApp } from './helpers.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

for (const engine of engines()) {
  describe(`device login [${engine}]`, () => {
    let t: TestApp;
    let address = 0;
    before(async () => {
      t = await createTestApp(engine, { ROSTER_PUBLIC_URL: 'https://roster.example.com' });
    });
    after(() => t.close());

    // Each test starts from an address of its own: pending logins are bounded per address.
    const start = (payload: object = {}, remoteAddress = `198.51.100.${++address}`) =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/device_authorization', payload, remoteAddress });
    const poll = (deviceCode: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ grant_type: GRANT, device_code: deviceCode }).toString(),
      });
    const verify = (token: string, user_code: string, approve = true, remoteAddress = '203.0.113.9') =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/device/verify',
        headers: bearer(token),
        payload: { user_code, approve },
        remoteAddress,
      });
    const events = async (type: string) =>
      (
        await t.app.inject({ method: 'GET', url: `/api/v1/events?type=${type}`, headers: bearer(t.adminToken) })
      ).json() as { actor: { id: string }; target: { id: string }; changes: Record<string, unknown> }[];

    it('starts a device login (JSON or form) with a short user code and the approval page', async () => {
      const response = await start({ client_id: 'zenml-cli' });
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.headers['cache-control'], 'no-store');
      const body = response.json();
      assert.match(body.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      assert.equal(body.verification_uri, 'https://roster.example.com/admin/device');
      assert.equal(
        body.verification_uri_complete,
        `https://roster.example.com/admin/device?user_code=${body.user_code}`,
      );
      assert.equal(body.expires_in, 600);
      assert.equal(body.interval, 5);
      assert.ok(body.device_code.length >= 40);
      const form = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/device_authorization',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'client_id=cli',
        remoteAddress: '198.51.100.250',
      });
      assert.equal(form.statusCode, 200);
      assert.notEqual(form.json().user_code, body.user_code);
      const unknownField = await start({ client_id: 'x', password: 'nope' });
      assert.equal(unknownField.statusCode, 422);
    });

    it('answers authorization_pending, then slow_down when polled too fast, then the approver token once', async () => {
      const { device_code, user_code } = (await start({ client_id: 'zenml-cli' })).json();
      const pending = await poll(device_code);
      assert.equal(pending.statusCode, 400);
      assert.equal(pending.json().error, 'authorization_pending');
      assert.equal(pending.headers['cache-control'], 'no-store');
      const fast = await poll(device_code);
      assert.equal(fast.json().error, 'slow_down');
      t.clock.advance(6);
      assert.equal((await poll(device_code)).json().error, 'slow_down', 'the interval went up by 5 s, to 10');
      // Each slow_down adds 5 s (now 15); a client that waits that long is answered.
      t.clock.advance(16);
      assert.equal((await poll(device_code)).json().error, 'authorization_pending');
      t.clock.advance(16);

      const approver = await createUserWithToken(t);
      // Typed as people type it: lower case, no hyphen.
      const answered = await verify(approver.token, user_code.replace('-', '').toLowerCase());
      assert.equal(answered.statusCode, 204, answered.body);
      const granted = await poll(device_code);
      assert.equal(granted.statusCode, 200, granted.body);
      assert.equal(granted.json().token_type, 'bearer');
      const me = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users/me',
        headers: bearer(granted.json().access_token),
      });
      assert.equal(me.json().id, approver.user.id, 'the token is the approving account');

      t.clock.advance(16);
      const again = await poll(device_code);
      assert.equal(again.statusCode, 400);
      assert.equal(again.json().error, 'invalid_grant', 'the token is given once');
      assert.equal((await verify(approver.token, user_code)).statusCode, 404, 'a code is answered once');

      const approved = (await events('user.device_login_approved')).find((e) => e.actor.id === approver.user.id);
      assert.deepEqual(approved?.changes, { client_id: [null, 'zenml-cli'] });
      const logins = (await events('user.login_succeeded')).filter((e) => e.target.id === approver.user.id);
      assert.ok(logins.some((e) => JSON.stringify(e.changes) === JSON.stringify({ method: [null, 'device_code'] })));
    });

    it('allows a second of slack in the poll interval', async () => {
      const { device_code } = (await start()).json();
      assert.equal((await poll(device_code)).json().error, 'authorization_pending');
      t.clock.advance(4.2);
      assert.equal((await poll(device_code)).json().error, 'authorization_pending', 'early by less than a second');
      t.clock.advance(3);
      assert.equal((await poll(device_code)).json().error, 'slow_down', 'early by two seconds');
    });

    it("voids an approval when the approver's password changes before the poll", async () => {
      const person = await createUserWithToken(t);
      const { device_code, user_code } = (await start()).json();
      assert.equal((await verify(person.token, user_code)).statusCode, 204);
      const changed = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${person.user.id}`,
        headers: bearer(t.adminToken),
        payload: { password: 'a-brand-new-password-9' },
      });
      assert.equal(changed.statusCode, 200, changed.body);
      const polled = await poll(device_code);
      assert.equal(polled.statusCode, 400);
      assert.equal(polled.json().error, 'access_denied');
      t.clock.advance(6);
      assert.equal((await poll(device_code)).json().error, 'invalid_grant', 'and nothing is issued later');
    });

    it("still answers other 400s of the login route in the contract's shape", async () => {
      // A body shorter than its Content-Length: Fastify's own 400, through the route's 400 schema.
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json', 'content-length': '3' },
        payload: '{"username":"a","password":"b"}',
      });
      assert.equal(response.statusCode, 400);
      assert.deepEqual(response.json().detail[0], 'ValueError');
    });

    it('never echoes a device code in a 422', async () => {
      const long = 'x'.repeat(300);
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { grant_type: GRANT, device_code: long },
      });
      assert.equal(response.statusCode, 422);
      assert.ok(!response.body.includes(long));
    });

    it('answers access_denied after a denial, and expired_token after 10 minutes', async () => {
      const person = await createUserWithToken(t);
      const denied = (await start()).json();
      assert.equal((await verify(person.token, denied.user_code, false)).statusCode, 204);
      assert.equal((await poll(denied.device_code)).json().error, 'access_denied');
      assert.ok((await events('user.device_login_denied')).some((e) => e.actor.id === person.user.id));

      const late = (await start()).json();
      t.clock.advance(601);
      assert.equal((await poll(late.device_code)).json().error, 'expired_token');
      assert.equal((await verify(person.token, late.user_code)).statusCode, 404);
    });

    it('answers invalid_grant for an unknown device code, 422 without one, and issues nothing', async () => {
      const unknown = await poll('not-a-device-code');
      assert.equal(unknown.statusCode, 400);
      assert.equal(unknown.json().error, 'invalid_grant');
      const missing = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { grant_type: GRANT },
      });
      assert.equal(missing.statusCode, 422);
      assert.deepEqual(missing.json().detail[0].loc, ['body', 'device_code']);
      const noPassword = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'admin' },
      });
      assert.equal(noPassword.statusCode, 422);
      assert.deepEqual(noPassword.json().detail[0].loc, ['body', 'password']);
      assert.equal(noPassword.json().detail[0].type, 'missing');
    });

    it('lets only people approve, and needs a signed-in caller', async () => {
      const { user_code } = (await start()).json();
      const anonymous = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/device/verify',
        payload: { user_code, approve: true },
      });
      assert.equal(anonymous.statusCode, 401);
      const org = (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/organizations',
          headers: bearer(t.adminToken),
          payload: { name: `device-org-${engine}` },
        })
      ).json();
      const robot = (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/organizations/${org.id}/service_accounts`,
          headers: bearer(t.adminToken),
          payload: { username: `device-robot-${engine}` },
        })
      ).json();
      const key = (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/users/${robot.id}/api_keys`,
          headers: bearer(t.adminToken),
          payload: { name: 'k' },
        })
      ).json().key as string;
      const refused = await verify(key, user_code);
      assert.equal(refused.statusCode, 403);
    });

    it('limits wrong user codes per account (429 with Retry-After), and the limit does not leak codes', async () => {
      const guesser = await createUserWithToken(t);
      const { user_code, device_code } = (await start()).json();
      for (let i = 0; i < 10; i++) {
        assert.equal((await verify(guesser.token, 'BBBB-BBBB', true, `192.0.2.${i}`)).statusCode, 404);
      }
      const limited = await verify(guesser.token, user_code, true, '192.0.2.200');
      assert.equal(limited.statusCode, 429);
      assert.ok(Number(limited.headers['retry-after']) > 0);
      assert.equal((await poll(device_code)).json().error, 'authorization_pending', 'the refused try approved nothing');
    });

    it('limits wrong user codes per address, whichever accounts try them', async () => {
      const from = '192.0.2.77';
      const guessers = await Promise.all(Array.from({ length: 4 }, () => createUserWithToken(t)));
      let refused = 0;
      for (let i = 0; i < 32; i++) {
        const response = await verify(guessers[i % 4]!.token, 'CCCC-CCCC', true, from);
        if (response.statusCode === 429) refused += 1;
        else assert.equal(response.statusCode, 404);
      }
      // 4 accounts x 8 tries stay under each account's 10; the address's 30 are spent.
      assert.equal(refused, 2);
      const elsewhere = await verify(guessers[0]!.token, 'CCCC-CCCC', true, '192.0.2.78');
      assert.equal(elsewhere.statusCode, 404, 'another address still tries');
    });

    it('bounds pending device logins per client address', async () => {
      const from = '198.51.100.254';
      for (let i = 0; i < 10; i++) assert.equal((await start({}, from)).statusCode, 200);
      const refused = await start({}, from);
      assert.equal(refused.statusCode, 429);
      assert.ok(Number(refused.headers['retry-after']) > 0);
      assert.equal((await start({}, '198.51.100.253')).statusCode, 200, 'other addresses are not held up');
    });
  });
}
