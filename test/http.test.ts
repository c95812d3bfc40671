import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, createTestApp, createUser, detail, engines, type TestApp } from './helpers.js';

for (const engine of engines()) {
  describe(`HTTP conventions [${engine}]`, () => {
    let t: TestApp;
    let user: Record<string, any>;
    before(async () => {
      t = await createTestApp(engine);
      user = await createUser(t, { name: 'Unchanged' });
    });
    after(() => t.close());

    const patchRaw = (body: string, contentType = 'application/json') =>
      t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${user.id}`,
        headers: { ...bearer(t.adminToken), 'content-type': contentType },
        payload: body,
      });
    const unchanged = async () => {
      const response = await t.app.inject({
        method: 'GET',
        url: `/api/v1/users/${user.id}`,
        headers: bearer(t.adminToken),
      });
      assert.deepEqual(response.json(), user);
    };

    it('answers malformed JSON with 422 json_invalid', async () => {
      for (const body of ['{"name": ', '{name: 1}', '{"__proto__": {"is_superuser": true}}']) {
        const response = await patchRaw(body);
        assert.equal(response.statusCode, 422, JSON.stringify(body));
        assert.equal(response.json().detail[0].type, 'json_invalid');
        assert.deepEqual(response.json().detail[0].loc, ['body']);
      }
      await unchanged();
    });

    it('answers a JSON body that is not an object, or none at all, with 422', async () => {
      for (const body of ['[]', '"text"', '42', 'null', '', '  ']) {
        const response = await patchRaw(body);
        assert.equal(response.statusCode, 422, body);
        assert.deepEqual(response.json().detail[0].loc, ['body']);
      }
      await unchanged();
    });

    it('answers JSON nested deeper than 32 levels with 422, even before authentication', async () => {
      const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
      const patched = await patchRaw(`{"metadata": {"a": ${deep(5000)}}}`);
      assert.equal(patched.statusCode, 422);
      assert.equal(patched.json().detail[0].type, 'json_invalid');
      const login = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: `{"username": ${deep(5000)}, "password": "x"}`,
      });
      assert.equal(login.statusCode, 422);
      assert.equal(login.json().detail[0].type, 'json_invalid');
      const fits = await patchRaw(`{"metadata": {"a": ${deep(30)}}}`);
      assert.equal(fits.statusCode, 200);
      user = fits.json();
    });

    it('accepts an empty body sent with a JSON content type where no body is expected', async () => {
      const other = await createUser(t);
      const response = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/users/${other.id}`,
        headers: { ...bearer(t.adminToken), 'content-type': 'application/json' },
      });
      assert.equal(response.statusCode, 204);
    });

    it('never echoes the value of an unknown or secret-looking field', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'admin', password: 'x', Password: 'Sup3rSecret!', new_token: 5 },
      });
      assert.equal(response.statusCode, 422);
      assert.ok(!response.body.includes('Sup3rSecret'));
      const form = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'username=admin&passwd=Sup3rSecret!&password=x',
      });
      assert.equal(form.statusCode, 422);
      assert.ok(!form.body.includes('Sup3rSecret'));
    });

    it('takes ids only in the canonical UUID form, in either case', async () => {
      const urn = await t.app.inject({
        method: 'GET',
        url: `/api/v1/users/urn:uuid:${user.id}`,
        headers: bearer(t.adminToken),
      });
      assert.equal(urn.statusCode, 422);
      const listed = await t.app.inject({
        method: 'GET',
        url: `/api/v1/users?user_id=urn:uuid:${user.id}`,
        headers: bearer(t.adminToken),
      });
      assert.equal(listed.statusCode, 422);
      const upper = await t.app.inject({
        method: 'GET',
        url: `/api/v1/users/${user.id.toUpperCase()}`,
        headers: bearer(t.adminToken),
      });
      assert.equal(upper.statusCode, 200);
      assert.equal(upper.json().id, user.id);
      const upperFilter = await t.app.inject({
        method: 'GET',
        url: `/api/v1/users?user_id=${user.id.toUpperCase()}`,
        headers: bearer(t.adminToken),
      });
      assert.equal(upperFilter.json().length, 1);
    });

    it('answers a body over 64 KiB with 413 PayloadTooLarge and changes nothing', async () => {
      const response = await patchRaw(JSON.stringify({ name: 'x', metadata: { blob: 'y'.repeat(70_000) } }));
      assert.equal(response.statusCode, 413);
      assert.equal(detail(response)[0], 'PayloadTooLarge');
      await unchanged();
    });

    it('refuses a form body outside the login endpoint (415)', async () => {
      const response = await patchRaw('name=Changed', 'application/x-www-form-urlencoded');
      assert.equal(response.statusCode, 415);
      assert.equal(detail(response)[0], 'UnsupportedMediaType');
      await unchanged();
    });

    it('answers an unknown route with 404 in the domain error shape', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
      assert.equal(response.statusCode, 404);
      assert.equal(detail(response)[0], 'KeyError');
    });

    it('answers JSON with charset utf-8', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(t.adminToken) });
      assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    });

    it('never answers 500 to strange but well-formed input', async () => {
      const queries = [
        '?email=%00',
        `?user_id=urn:uuid:${user.id}`,
        '?username=%F0%9F%98%80',
        `?oauth_id=${'x'.repeat(5000)}`,
        '?offset=99999999999999999999',
        '?limit=1e3',
        '?is_active=',
        '?user_id=',
        '?limit=1&limit=2',
      ];
      for (const query of queries) {
        const response = await t.app.inject({
          method: 'GET',
          url: `/api/v1/users${query}`,
          headers: bearer(t.adminToken),
        });
        assert.ok(response.statusCode < 500, `${query} → ${response.statusCode} ${response.body}`);
      }
      for (const body of [{ name: '\u0000' }, { metadata: { '': { '': [null] } } }, { name: '😀'.repeat(255) }]) {
        const response = await t.app.inject({
          method: 'PATCH',
          url: `/api/v1/users/${user.id}`,
          headers: bearer(t.adminToken),
          payload: body,
        });
        assert.ok(response.statusCode < 500, `${JSON.stringify(body).slice(0, 40)} → ${response.statusCode}`);
      }
    });

    it('answers GET /health with 200 ok', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/health' });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { status: 'ok' });
    });

    it('serves the interactive reference at /docs', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/docs' });
      const page =
        response.statusCode === 302 ? await t.app.inject({ method: 'GET', url: response.headers.location! }) : response;
      assert.equal(page.statusCode, 200);
      assert.match(page.headers['content-type'] as string, /text\/html/);
    });

    it('publishes an OpenAPI 3.1 document where every operation has an id, a summary and its errors', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/openapi.json' });
      assert.equal(response.statusCode, 200);
      const doc = response.json();
      assert.equal(doc.openapi, '3.1.0');
      const operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({ path, method, op })),
      );
      const ids = operations.map((o) => o.op.operationId);
      for (const id of [
        'listUsers',
        'createUser',
        'getUser',
        'updateUser',
        'deleteUser',
        'getCurrentUser',
        'updateCurrentUser',
        'login',
        'logout',
        'health',
        'clearLoginFailures',
        'createInvitation',
        'listInvitations',
        'revokeInvitation',
        'listMyInvitations',
        'acceptInvitation',
        'declineInvitation',
        'startDeviceAuthorization',
        'verifyDeviceLogin',
      ]) {
        assert.ok(ids.includes(id), `operation ${id}`);
      }
      assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
      for (const { path, method, op } of operations) {
        assert.ok(op.summary, `${method} ${path} has a summary`);
        // Public operations (an empty `security`) answer no 401.
        const isPublic = Array.isArray(op.security) && op.security.length === 0;
        if (path.startsWith('/api/v1/') && !isPublic && !['ssoLogin', 'ssoCallback'].includes(op.operationId)) {
          assert.ok(op.responses['401'], `${method} ${path} documents 401`);
        }
        if (path.startsWith('/api/v1/')) assert.ok(op.responses['422'], `${method} ${path} documents 422`);
      }
      const users = doc.paths['/api/v1/users/{user_id}'];
      assert.ok(users.patch.responses['409'] && users.patch.responses['412'] && users.patch.responses['403']);
      assert.ok(users.get.responses['404']);
      assert.ok(users.delete.responses['400']);
      const login = doc.paths['/api/v1/auth/login'].post.requestBody.content;
      assert.deepEqual(Object.keys(login).sort(), ['application/json', 'application/x-www-form-urlencoded']);
      const userRead = doc.components.schemas.UserRead;
      assert.ok(userRead.properties.username && !userRead.properties.password_hash);
      assert.equal(userRead.properties.email_verified.type, 'boolean');
      assert.ok(userRead.required.includes('email_verified'));
      const clear = doc.paths['/api/v1/users/{user_id}/login_failures'].delete;
      assert.ok(clear.responses['204'] && clear.responses['403'] && clear.responses['404']);
      const accept = doc.paths['/api/v1/invitations/{invitation_id}/accept'].post;
      assert.ok(accept.responses['200'] && accept.responses['400'] && accept.responses['404']);
      const invite = doc.paths['/api/v1/organizations/{organization_id}/invitations'].post;
      assert.ok(
        invite.responses['201'] && invite.responses['400'] && invite.responses['404'] && invite.responses['409'],
      );
    });
  });

  describe(`failures of the database [${engine}]`, () => {
    it('answers /health with 503 and other requests with a 500 that reveals nothing', async () => {
      const t = await createTestApp(engine);
      await t.handle.close();
      const health = await t.app.inject({ method: 'GET', url: '/health' });
      assert.equal(health.statusCode, 503);
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(t.adminToken) });
      assert.equal(response.statusCode, 500);
      const [name, message] = detail(response);
      assert.equal(name, 'RuntimeError');
      assert.match(message, /^an unexpected error occurred \(request id [^)]+\)$/);
      await t.app.close();
    });
  });
}
