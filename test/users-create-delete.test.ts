import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { v7 as uuidv7 } from 'uuid';
import {
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
  describe(`POST and DELETE /api/v1/users [${engine}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(engine);
    });
    after(() => t.close());

    const create = (payload: unknown, token = t.adminToken) =>
      t.app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(token), payload: payload as object });
    const remove = (id: string, token = t.adminToken) =>
      t.app.inject({ method: 'DELETE', url: `/api/v1/users/${id}`, headers: bearer(token) });
    const exists = async (id: string) =>
      (await t.app.inject({ method: 'GET', url: `/api/v1/users/${id}`, headers: bearer(t.adminToken) })).statusCode ===
      200;

    it('creates a local account (201) with every given field and the defaults', async () => {
      const response = await create({
        username: 'grace',
        password: PASSWORD,
        email: 'Grace@Example.com',
        name: 'Grace',
        avatar_url: 'http://example.com/g.png',
        company: 'Navy',
        job_title: 'Rear admiral',
        metadata: { cobol: true },
      });
      assert.equal(response.statusCode, 201, response.body);
      const user = response.json();
      assert.equal(response.headers.location, `/api/v1/users/${user.id}`);
      assert.equal(response.headers.etag, '"v1"');
      assert.match(user.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a UUIDv7');
      assert.deepEqual(
        { ...user, id: undefined, created: undefined, updated: undefined },
        {
          id: undefined,
          created: undefined,
          updated: undefined,
          username: 'grace',
          email: 'Grace@Example.com',
          email_verified: true,
          name: 'Grace',
          avatar_url: 'http://example.com/g.png',
          company: 'Navy',
          job_title: 'Rear admiral',
          metadata: { cobol: true },
          oauth_provider: null,
          oauth_id: null,
          is_active: true,
          is_superuser: false,
          is_service_account: false,
          organization_id: null,
          is_onboarded: false,
        },
      );
      assert.match(user.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(await login(t.app, 'grace', PASSWORD));
    });

    it('lets only superusers create accounts (403 otherwise) and creates nothing', async () => {
      const { token } = await createUserWithToken(t);
      const response = await create({ username: 'sneaky', password: PASSWORD }, token);
      assert.equal(response.statusCode, 403);
      assert.equal(detail(response)[0], 'IllegalOperationError');
      const list = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users?username=sneaky',
        headers: bearer(t.adminToken),
      });
      assert.deepEqual(list.json(), []);
    });

    it('answers 409 for a taken username or email, case-insensitively', async () => {
      await createUser(t, { username: 'Heidi', email: 'heidi@example.com' });
      for (const payload of [
        { username: 'heidi', password: PASSWORD },
        { username: 'heidi2', password: PASSWORD, email: 'HEIDI@example.com' },
      ]) {
        const response = await create(payload);
        assert.equal(response.statusCode, 409, JSON.stringify(payload));
        assert.equal(detail(response)[0], 'EntityExistsError');
      }
      const list = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users?username=heidi2',
        headers: bearer(t.adminToken),
      });
      assert.deepEqual(list.json(), []);
    });

    it("refuses (409) a username that is another account's email, and an email that is another's username", async () => {
      const owner = await createUser(t, { username: 'ivan', email: 'ivan@example.com' });
      // A username with '@' must be the new account's own email; that email is ivan's.
      const asUsername = await create({ username: 'IVAN@example.com', password: PASSWORD, email: 'IVAN@example.com' });
      assert.equal(asUsername.statusCode, 409);
      assert.equal(detail(asUsername)[0], 'EntityExistsError');
      const asEmail = await create({ username: 'someone-else', password: PASSWORD, email: 'Ivan' });
      assert.equal(asEmail.statusCode, 422, 'not an email address at all');
      await createUser(t, { username: 'judy@example.com', email: 'judy@example.com' });
      const emailIsUsername = await create({ username: 'judy2', password: PASSWORD, email: 'JUDY@example.com' });
      assert.equal(emailIsUsername.statusCode, 409);
      for (const username of ['IVAN@example.com', 'judy2', 'someone-else']) {
        const list = await t.app.inject({
          method: 'GET',
          url: `/api/v1/users?username=${username}`,
          headers: bearer(t.adminToken),
        });
        assert.deepEqual(list.json(), [], `${username} was not created`);
      }
      // Taking another account's email is refused too, and changes nothing: by the account
      // itself (as its email; as its username it is not its own verified email: 400) and by a
      // superuser (as username and email together).
      const { user, token } = await createUserWithToken(t);
      const takeEmail = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: bearer(token),
        payload: { email: 'ivan@example.com', name: 'Mallory' },
      });
      assert.equal(takeEmail.statusCode, 409);
      assert.equal(detail(takeEmail)[0], 'EntityExistsError');
      const rename = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: bearer(token),
        payload: { username: 'ivan@example.com', name: 'Mallory' },
      });
      assert.equal(rename.statusCode, 400);
      assert.equal(detail(rename)[0], 'ValueError');
      const byAdmin = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${user.id}`,
        headers: bearer(t.adminToken),
        payload: { username: 'ivan@example.com', email: 'ivan@example.com', name: 'Mallory' },
      });
      assert.equal(byAdmin.statusCode, 409);
      assert.equal(detail(byAdmin)[0], 'EntityExistsError');
      assert.equal(await login(t.app, 'ivan@example.com', PASSWORD).then(() => 'ivan'), 'ivan');
      const after = await t.app.inject({
        method: 'GET',
        url: `/api/v1/users/${user.id}`,
        headers: bearer(t.adminToken),
      });
      assert.deepEqual([after.json().name, after.json().username, after.json().email], [null, user.username, null]);
      assert.equal(owner.email, 'ivan@example.com');
      // An account may use its own email as its username.
      const self = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${owner.id}`,
        headers: bearer(t.adminToken),
        payload: { username: 'ivan@example.com' },
      });
      assert.equal(self.statusCode, 200);
    });

    it('requires username and password (422 listing both)', async () => {
      const response = await create({});
      assert.equal(response.statusCode, 422);
      assert.deepEqual(
        response
          .json()
          .detail.map((d: { loc: string[]; type: string }) => [d.loc.join('.'), d.type])
          .sort(),
        [
          ['body.password', 'missing'],
          ['body.username', 'missing'],
        ],
      );
      // Long, and not one repeated character (which the password policy refuses on its own).
      const long = await create({ username: 'u'.repeat(256), password: 'pass-phrase-'.repeat(86).slice(0, 1025) });
      assert.deepEqual(
        long
          .json()
          .detail.map((d: { loc: string[]; type: string }) => [d.loc.join('.'), d.type])
          .sort(),
        [
          ['body.password', 'string_too_long'],
          ['body.username', 'string_too_long'],
        ],
      );
    });

    it("refuses (400 ValueError) a username with '@' that is not the account's own email, and creates nothing", async () => {
      for (const payload of [
        { username: 'kim@example.com', password: PASSWORD },
        { username: 'kim@example.com', password: PASSWORD, email: 'kimberly@example.com' },
      ]) {
        const response = await create(payload);
        assert.equal(response.statusCode, 400, JSON.stringify(payload));
        assert.equal(detail(response)[0], 'ValueError');
      }
      const list = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users?search=kim',
        headers: bearer(t.adminToken),
      });
      assert.deepEqual(list.json(), []);
      // Its own email (set by a superuser: verified), compared case-insensitively.
      const own = await create({ username: 'Kim@Example.com', password: PASSWORD, email: 'kim@example.com' });
      assert.equal(own.statusCode, 201, own.body);
      assert.deepEqual(
        [own.json().username, own.json().email, own.json().email_verified],
        ['Kim@Example.com', 'kim@example.com', true],
      );
    });

    it('refuses (422 password_too_common) a common, whitespace-only or one-character password, and creates nothing', async () => {
      for (const password of ['password1', 'QWERTYUIOP', ' '.repeat(10), 'z'.repeat(12)]) {
        const username = `weak-${password.trim().length}-${password.charCodeAt(0)}`;
        const response = await create({ username, password });
        assert.equal(response.statusCode, 422, JSON.stringify(password));
        assert.deepEqual(
          response.json().detail.map((d: { loc: string[]; type: string }) => [d.loc.join('.'), d.type]),
          [['body.password', 'password_too_common']],
        );
        assert.ok(!response.body.includes(password.trim() || '          '), 'the password is not echoed');
        const list = await t.app.inject({
          method: 'GET',
          url: `/api/v1/users?username=${username}`,
          headers: bearer(t.adminToken),
        });
        assert.deepEqual(list.json(), []);
      }
    });

    it('lets a superuser delete an account (204, no body) with all its sessions', async () => {
      const { user, token } = await createUserWithToken(t);
      const response = await remove(user.id);
      assert.equal(response.statusCode, 204);
      assert.equal(response.body, '');
      assert.equal(await exists(user.id), false);
      const sessions = await t.handle.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute();
      assert.deepEqual(sessions, []);
      const me = await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(token) });
      assert.equal(me.statusCode, 401);
    });

    it('lets a user delete itself', async () => {
      const { user, token } = await createUserWithToken(t);
      assert.equal((await remove(user.id, token)).statusCode, 204);
      assert.equal(await exists(user.id), false);
    });

    it('answers 403 to anyone else, whether or not the user exists, and deletes nothing', async () => {
      const victim = await createUser(t);
      const { token } = await createUserWithToken(t);
      for (const id of [victim.id, uuidv7()]) {
        const response = await remove(id, token);
        assert.equal(response.statusCode, 403);
        assert.equal(detail(response)[0], 'IllegalOperationError');
      }
      assert.equal(await exists(victim.id), true);
    });

    it('answers 404 to a superuser deleting a user that does not exist', async () => {
      const response = await remove(uuidv7());
      assert.equal(response.statusCode, 404);
      assert.equal(detail(response)[0], 'KeyError');
    });

    it('refuses to delete the internal account (400 ValueError), even by itself', async () => {
      const internal = (await t.repos.users.findInternal())!;
      const response = await remove(internal.id);
      assert.equal(response.statusCode, 400);
      assert.deepEqual(detail(response), ['ValueError', 'internal user cannot be deleted']);
      const { token } = await createUserWithToken(t, { is_superuser: true });
      assert.equal((await remove(internal.id, token)).statusCode, 400);
      assert.equal(await exists(internal.id), true);
    });

    it('rejects a non-UUID path id with 422', async () => {
      const response = await remove('abc');
      assert.equal(response.statusCode, 422);
      assert.deepEqual(response.json().detail[0].loc, ['path', 'user_id']);
    });
  });
}
