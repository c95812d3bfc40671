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
  describe(`GET and PATCH /api/v1/users/{user_id} [${engine}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(engine);
    });
    after(() => t.close());

    const get = (id: string, token = t.adminToken) =>
      t.app.inject({ method: 'GET', url: `/api/v1/users/${id}`, headers: bearer(token) });
    const patch = (id: string, payload: unknown, token = t.adminToken, headers: Record<string, string> = {}) =>
      t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${id}`,
        headers: { ...bearer(token), ...headers },
        payload: payload as object,
      });
    const internalId = async () => (await t.repos.users.findInternal())!.id;

    it('gets a user with an ETag carrying its version', async () => {
      const user = await createUser(t, { name: 'Eve' });
      const response = await get(user.id);
      assert.equal(response.statusCode, 200);
      assert.equal(response.json().name, 'Eve');
      assert.equal(response.headers.etag, '"v1"');
      await patch(user.id, { name: 'Eve 2' });
      assert.equal((await get(user.id)).headers.etag, '"v2"');
    });

    it('answers 404 KeyError for a user that does not exist or is not visible', async () => {
      const missing = await get(uuidv7());
      assert.equal(missing.statusCode, 404);
      assert.equal(detail(missing)[0], 'KeyError');
      const other = await createUser(t);
      const { token } = await createUserWithToken(t);
      const hidden = await get(other.id, token);
      assert.equal(hidden.statusCode, 404);
      assert.deepEqual(Object.keys(hidden.json()), ['detail']);
      assert.equal(detail(hidden)[0], 'KeyError');
    });

    it('lets a user read and edit its own profile, through its id and through /me', async () => {
      const { user, token } = await createUserWithToken(t);
      const response = await patch(
        user.id,
        {
          name: 'Frank',
          company: 'Acme',
          job_title: 'Engineer',
          avatar_url: 'https://example.com/a.png',
          metadata: { team: 'blue', level: 3 },
          is_onboarded: true,
        },
        token,
      );
      assert.equal(response.statusCode, 200, response.body);
      const body = response.json();
      assert.equal(body.name, 'Frank');
      assert.equal(body.company, 'Acme');
      assert.equal(body.job_title, 'Engineer');
      assert.equal(body.avatar_url, 'https://example.com/a.png');
      assert.deepEqual(body.metadata, { team: 'blue', level: 3 });
      assert.equal(body.is_onboarded, true);
      assert.equal(response.headers.etag, '"v2"');
      const me = await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(token) });
      assert.deepEqual(me.json(), body);
      const viaMe = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: bearer(token),
        payload: { name: 'Frankie' },
      });
      assert.equal(viaMe.statusCode, 200);
      assert.equal(viaMe.json().name, 'Frankie');
    });

    it('changes `updated` on every successful update and leaves `created`', async () => {
      const user = await createUser(t);
      t.clock.advance(5);
      const body = (await patch(user.id, { name: 'later' })).json();
      assert.equal(body.created, user.created);
      assert.ok(body.updated > user.updated);
    });

    it('clears nullable fields with null and replaces metadata as a whole', async () => {
      const user = await createUser(t, {
        name: 'N',
        company: 'C',
        email: 'clear-me@example.com',
        metadata: { a: 1, b: 2 },
      });
      const body = (await patch(user.id, { name: null, company: null, email: null, metadata: { c: 3 } })).json();
      assert.equal(body.name, null);
      assert.equal(body.company, null);
      assert.equal(body.email, null);
      assert.equal(body.email_verified, false, 'no email, nothing verified');
      assert.deepEqual(body.metadata, { c: 3 });
    });

    it('marks an email verified when a superuser sets it, unverified when the account sets its own', async () => {
      const created = await createUser(t, { email: 'by-admin@example.com' });
      assert.equal(created.email_verified, true);
      const { user, token } = await createUserWithToken(t);
      assert.equal(user.email_verified, false, 'no email');
      const self = await patch(user.id, { email: 'by-self@example.com' }, token);
      assert.equal(self.statusCode, 200, self.body);
      assert.deepEqual([self.json().email, self.json().email_verified], ['by-self@example.com', false]);
      assert.deepEqual((await get(user.id)).json(), self.json());
      const byAdmin = await patch(user.id, { email: 'by-admin-2@example.com' });
      assert.deepEqual([byAdmin.json().email, byAdmin.json().email_verified], ['by-admin-2@example.com', true]);
      const changedBySelf = await patch(user.id, { email: 'by-self-2@example.com' }, token);
      assert.deepEqual(
        [changedBySelf.json().email, changedBySelf.json().email_verified],
        ['by-self-2@example.com', false],
      );
      // An unverified email is no login name (3); once a superuser sets it, it is.
      const attempt = () =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { username: 'by-self-2@example.com', password: PASSWORD },
        });
      assert.equal((await attempt()).statusCode, 401);
      assert.equal((await patch(user.id, { email: null })).statusCode, 200);
      assert.equal((await patch(user.id, { email: 'by-self-2@example.com' })).json().email_verified, true);
      assert.equal((await attempt()).statusCode, 200);
    });

    it('verifies an email the account had set on itself only when a superuser says so explicitly', async () => {
      const { user, token } = await createUserWithToken(t);
      assert.equal((await patch(user.id, { email: 'confirm-me@example.com' }, token)).json().email_verified, false);
      const resent = await patch(user.id, { email: 'confirm-me@example.com', name: 'Confirm' });
      assert.equal(
        resent.json().email_verified,
        false,
        're-sending the email (a PUT of the whole object) verifies nothing',
      );
      const refused = await patch(user.id, { email_verified: true }, token);
      assert.equal(refused.statusCode, 403, 'an account cannot verify its own email');
      const confirmed = await patch(user.id, { email_verified: true });
      assert.equal(confirmed.statusCode, 200);
      assert.equal(confirmed.json().email_verified, true, 'a superuser vouches for it explicitly (API.md 3.2)');
      const noEmail = await createUser(t);
      assert.equal((await patch(noEmail.id, { email_verified: true })).statusCode, 400, 'no email to verify');
    });

    it("refuses (400 ValueError) a username with '@' unless it is the account's own verified email, changing nothing", async () => {
      const { user, token } = await createUserWithToken(t, { email: 'own@example.com' });
      const other = await createUser(t);
      const refusals: [string, Record<string, unknown>, string][] = [
        ['another address, by the account', { username: 'someone@example.com', name: 'x' }, token],
        ['another address, by a superuser', { username: 'someone@example.com', name: 'x' }, t.adminToken],
        [
          'a new email of its own, unverified',
          { username: 'mine@example.com', email: 'mine@example.com', name: 'x' },
          token,
        ],
      ];
      for (const [what, payload, caller] of refusals) {
        const response = await patch(user.id, payload, caller);
        assert.equal(response.statusCode, 400, what);
        assert.equal(detail(response)[0], 'ValueError', what);
      }
      assert.deepEqual((await get(user.id)).json(), user);
      // Its own verified email: the account itself or a superuser may use it, in any case.
      const renamed = await patch(user.id, { username: 'OWN@example.com' }, token);
      assert.equal(renamed.statusCode, 200, renamed.body);
      assert.equal(renamed.json().username, 'OWN@example.com');
      // Then the email cannot move away from the username, nor be cleared.
      for (const payload of [{ email: 'elsewhere@example.com' }, { email: null }]) {
        for (const caller of [token, t.adminToken]) {
          const response = await patch(user.id, payload, caller);
          assert.equal(response.statusCode, 400, JSON.stringify(payload));
          assert.equal(detail(response)[0], 'ValueError');
        }
      }
      assert.deepEqual((await get(user.id)).json(), renamed.json());
      const both = await patch(other.id, { username: 'both@example.com', email: 'both@example.com' });
      assert.equal(both.statusCode, 200, both.body);
      assert.deepEqual(
        [both.json().username, both.json().email, both.json().email_verified],
        ['both@example.com', 'both@example.com', true],
      );
    });

    it('answers 200 and changes nothing for an empty body', async () => {
      const user = await createUser(t);
      const response = await patch(user.id, {});
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), user);
      assert.equal(response.headers.etag, '"v1"');
    });

    it('answers 403 for a user that does not exist, even to a superuser', async () => {
      const response = await patch(uuidv7(), { name: 'ghost' });
      assert.equal(response.statusCode, 403);
      assert.equal(detail(response)[0], 'IllegalOperationError');
    });

    it("refuses (403) a plain user's change to another account, visible or not, and changes nothing", async () => {
      const victim = await createUser(t, { name: 'Victim' });
      const { token } = await createUserWithToken(t);
      for (const payload of [{ name: 'pwned' }, { is_active: false }, { password: 'new-password-1' }]) {
        const response = await patch(victim.id, payload, token);
        assert.equal(response.statusCode, 403, JSON.stringify(payload));
        assert.equal(detail(response)[0], 'IllegalOperationError');
      }
      assert.deepEqual((await get(victim.id)).json(), victim);
    });

    it('lets only superusers set is_active and is_superuser', async () => {
      const { user, token } = await createUserWithToken(t);
      for (const payload of [{ is_superuser: true }, { is_active: false }]) {
        const response = await patch(user.id, payload, token);
        assert.equal(response.statusCode, 403, JSON.stringify(payload));
      }
      assert.equal((await get(user.id)).json().is_superuser, false);
      const promoted = await patch(user.id, { is_superuser: true });
      assert.equal(promoted.statusCode, 200);
      assert.equal(promoted.json().is_superuser, true);
      // Now a superuser, it sees everyone.
      const list = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(token) });
      assert.ok(list.json().length > 1);
    });

    it('refuses a superuser deactivating itself (403)', async () => {
      const { user, token } = await createUserWithToken(t, { is_superuser: true });
      const response = await patch(user.id, { is_active: false }, token);
      assert.equal(response.statusCode, 403);
      assert.equal((await get(user.id)).json().is_active, true);
    });

    it('protects the internal account: no rename, deactivation or demotion (403)', async () => {
      const id = await internalId();
      const before = (await get(id)).json();
      for (const payload of [{ username: 'root' }, { is_active: false }, { is_superuser: false }]) {
        const response = await patch(id, payload);
        assert.equal(response.statusCode, 403, JSON.stringify(payload));
        assert.equal(detail(response)[0], 'IllegalOperationError');
      }
      const { token } = await createUserWithToken(t, { is_superuser: true });
      assert.equal((await patch(id, { is_active: false }, token)).statusCode, 403);
      assert.deepEqual((await get(id)).json(), before);
    });

    it('refuses superuser for a service account (400) and any change to an OAuth2 username or email (403)', async () => {
      const now = new Date().toISOString();
      const service = await t.repos.users.insert(uuidv7(), { username: 'robot', is_service_account: true }, now);
      const response = await patch(service.id, { is_superuser: true });
      assert.equal(response.statusCode, 400);
      assert.equal(detail(response)[0], 'ValueError');
      assert.equal((await patch(service.id, { password: 'robots-have-no-passwords' })).statusCode, 400);

      const oauth = await t.repos.users.insert(
        uuidv7(),
        { username: 'oauth@example.com', email: 'oauth@example.com', oauth_provider: 'github', oauth_id: 'gh-1' },
        now,
      );
      for (const payload of [{ username: 'renamed' }, { email: 'other@example.com' }, { password: 'a-password-1' }]) {
        const refused = await patch(oauth.id, payload);
        assert.equal(refused.statusCode, 403, JSON.stringify(payload));
        assert.equal(detail(refused)[0], 'IllegalOperationError');
      }
      const unchanged = (await get(oauth.id)).json();
      assert.equal(unchanged.username, 'oauth@example.com');
      assert.equal(unchanged.email, 'oauth@example.com');
      assert.equal((await patch(oauth.id, { name: 'OAuth Person' })).statusCode, 200);
    });

    it('answers 409 for a taken username or email (case-insensitively) and changes nothing else', async () => {
      await createUser(t, { username: 'taken-name', email: 'taken@example.com' });
      const user = await createUser(t, { name: 'Before' });
      for (const payload of [
        { name: 'After', username: 'taken-name' },
        { name: 'After', username: 'TAKEN-NAME' },
        { name: 'After', email: 'TAKEN@example.com' },
      ]) {
        const response = await patch(user.id, payload);
        assert.equal(response.statusCode, 409, JSON.stringify(payload));
        assert.equal(detail(response)[0], 'EntityExistsError');
      }
      assert.deepEqual((await get(user.id)).json(), user);
    });

    it('honours If-Match: 412 and nothing changed on a stale version, 200 on the current one', async () => {
      const user = await createUser(t, { name: 'v1' });
      const first = await patch(user.id, { name: 'v2' }, t.adminToken, { 'if-match': '"v1"' });
      assert.equal(first.statusCode, 200);
      assert.equal(first.headers.etag, '"v2"');
      const stale = await patch(user.id, { name: 'lost update' }, t.adminToken, { 'if-match': '"v1"' });
      assert.equal(stale.statusCode, 412);
      assert.equal(detail(stale)[0], 'PreconditionFailed');
      const garbage = await patch(user.id, { name: 'lost update' }, t.adminToken, { 'if-match': 'nonsense' });
      assert.equal(garbage.statusCode, 412);
      assert.equal((await get(user.id)).json().name, 'v2');
      const any = await patch(user.id, { name: 'v3' }, t.adminToken, { 'if-match': '*' });
      assert.equal(any.statusCode, 200);
      const listed = await patch(user.id, { name: 'v4' }, t.adminToken, { 'if-match': '"v1", "v3"' });
      assert.equal(listed.statusCode, 200);
    });

    it('requires the current password to change one’s own password (403 otherwise)', async () => {
      const { user, token } = await createUserWithToken(t);
      for (const payload of [
        { password: 'brand-new-pass' },
        { password: 'brand-new-pass', current_password: 'wrong-password' },
      ]) {
        const response = await patch(user.id, payload, token);
        assert.equal(response.statusCode, 403, JSON.stringify(payload));
      }
      assert.ok(await login(t.app, user.username, PASSWORD), 'the old password still works');
    });

    it('validates every field and lists each failure (422), changing nothing', async () => {
      const user = await createUser(t);
      const response = await patch(user.id, {
        username: 'bad name!',
        email: 'not-an-email',
        avatar_url: 'ftp://example.com/a.png',
        name: 'x'.repeat(256),
        metadata: 'not an object',
        is_active: 'yes',
        password: 'Sh0rt!',
        unknown_field: 1,
      });
      assert.equal(response.statusCode, 422);
      const issues = response.json().detail as { loc: string[]; type: string; input?: unknown }[];
      const byField = Object.fromEntries(issues.map((i) => [i.loc.join('.'), i.type]));
      assert.deepEqual(byField, {
        'body.username': 'string_pattern_mismatch',
        'body.email': 'value_error',
        'body.avatar_url': 'string_pattern_mismatch',
        'body.name': 'string_too_long',
        'body.metadata': 'dict_type',
        'body.is_active': 'bool_type',
        'body.password': 'string_too_short',
        'body.unknown_field': 'extra_forbidden',
      });
      assert.ok(!('input' in issues.find((i) => i.loc[1] === 'password')!), 'passwords are not echoed');
      assert.deepEqual((await get(user.id)).json(), user);
    });

    it('refuses (422 password_too_common) a common password, by a superuser or the account itself, changing nothing', async () => {
      const { user, token } = await createUserWithToken(t);
      for (const [payload, caller] of [
        [{ password: 'password1' }, t.adminToken],
        [{ password: 'iloveyou', current_password: PASSWORD }, token],
        [{ password: '\t'.repeat(9), name: 'x' }, t.adminToken],
      ] as const) {
        const response = await patch(user.id, payload, caller);
        assert.equal(response.statusCode, 422, JSON.stringify(payload));
        const issues = response.json().detail as { loc: string[]; type: string }[];
        assert.deepEqual(
          issues.map((i) => [i.loc.join('.'), i.type]),
          [['body.password', 'password_too_common']],
        );
        assert.ok(!('input' in issues[0]!), 'passwords are not echoed');
      }
      assert.deepEqual((await get(user.id)).json(), user);
      assert.ok(await login(t.app, user.username, PASSWORD), 'the password did not change');
    });

    it('caps metadata at 16 KiB serialized', async () => {
      const user = await createUser(t);
      const big = await patch(user.id, { metadata: { blob: 'x'.repeat(16_384) } });
      assert.equal(big.statusCode, 422);
      assert.deepEqual(big.json().detail[0].loc, ['body', 'metadata']);
      const fits = await patch(user.id, { metadata: { blob: 'x'.repeat(16_000) } });
      assert.equal(fits.statusCode, 200);
    });

    it('rejects a non-UUID path id with 422 at loc path.user_id', async () => {
      const response = await patch('12', { name: 'x' });
      assert.equal(response.statusCode, 422);
      assert.deepEqual(response.json().detail[0].loc, ['path', 'user_id']);
    });
  });
}
