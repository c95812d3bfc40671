// Compatibility with FastAPI / pydantic clients (API.md 1.2), as ZenML's client sends requests:
// query values as str(value) (`True`), updates with PUT, organizations named in paths.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, createTestApp, createUser, createUserWithToken, detail, engines, type TestApp } from './helpers.js';

for (const engine of engines()) {
  describe(`compatibility with pydantic clients [${engine}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(engine);
    });
    after(() => t.close());

    const send = (
      method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE',
      url: string,
      payload?: object,
      token = t.adminToken,
      headers = {},
    ) => t.app.inject({ method, url, headers: { ...bearer(token), ...headers }, ...(payload ? { payload } : {}) });

    it("reads pydantic's boolean texts in query strings, in any case", async () => {
      const inactive = await createUser(t);
      assert.equal((await send('PATCH', `/api/v1/users/${inactive.id}`, { is_active: false })).statusCode, 200);
      const ids = async (query: string) => {
        const response = await send('GET', `/api/v1/users?limit=1000&${query}`);
        assert.equal(response.statusCode, 200, `${query}: ${response.body}`);
        return (response.json() as { id: string }[]).map((u) => u.id);
      };
      for (const text of ['False', 'false', 'FALSE', '0', 'no', 'No', 'off', 'f', 'N']) {
        const found = await ids(`is_active=${text}`);
        assert.ok(found.includes(inactive.id), `is_active=${text} lists the inactive account`);
      }
      for (const text of ['True', 'true', 'TRUE', '1', 'yes', 'ON', 't', 'Y']) {
        const found = await ids(`is_active=${text}`);
        assert.ok(!found.includes(inactive.id), `is_active=${text} leaves the inactive account out`);
        assert.ok(found.length > 0);
      }
      const totalled = await send('GET', '/api/v1/users?include_total=True&limit=1');
      assert.equal(totalled.statusCode, 200);
      assert.ok(Number(totalled.headers['x-total-count']) >= 2);
    });

    it('answers 422 bool_parsing for any other text, naming the parameter', async () => {
      for (const text of ['maybe', 'tru', '2', 'yess', '']) {
        const response = await send('GET', `/api/v1/users?is_active=${text}`);
        assert.equal(response.statusCode, 422, text);
        const [issue] = response.json().detail;
        assert.equal(issue.type, 'bool_parsing');
        assert.deepEqual(issue.loc, ['query', 'is_active']);
      }
    });

    it('takes PUT as PATCH on a user: partial update, ETag, If-Match, the same rules', async () => {
      const user = await createUser(t, { name: 'Before', job_title: 'keeps' });
      const put = await send('PUT', `/api/v1/users/${user.id}`, { name: 'After' });
      assert.equal(put.statusCode, 200, put.body);
      assert.equal(put.json().name, 'After');
      assert.equal(put.json().job_title, 'keeps', 'fields not sent are kept (partial update)');
      assert.equal(put.headers.etag, '"v2"');
      const stale = await send('PUT', `/api/v1/users/${user.id}`, { name: 'Stale' }, t.adminToken, {
        'if-match': '"v1"',
      });
      assert.equal(stale.statusCode, 412);
      assert.equal(detail(stale)[0], 'PreconditionFailed');
      const unknown = await send('PUT', `/api/v1/users/${user.id}`, { nmae: 'typo' });
      assert.equal(unknown.statusCode, 422);
      assert.equal(unknown.json().detail[0].type, 'extra_forbidden');
      const after = await send('GET', `/api/v1/users/${user.id}`);
      assert.equal(after.json().name, 'After', 'refused PUTs changed nothing');
      assert.equal(after.headers.etag, '"v2"');
    });

    it('applies the permission rules of PATCH to PUT', async () => {
      const { token } = await createUserWithToken(t);
      const other = await createUser(t);
      const refused = await send('PUT', `/api/v1/users/${other.id}`, { name: 'Mallory' }, token);
      assert.ok([403, 404].includes(refused.statusCode), refused.body);
      const promote = await send('PUT', '/api/v1/users/me', { is_superuser: true }, token);
      assert.equal(promote.statusCode, 403);
      const own = await send('PUT', '/api/v1/users/me', { name: 'Self' }, token);
      assert.equal(own.statusCode, 200);
      assert.equal(own.json().name, 'Self');
    });

    it('has PUT on every path with PATCH, and documents only PATCH', async () => {
      const organization = (await send('POST', '/api/v1/organizations', { name: `put-org-${engine}` })).json();
      const renamed = await send('PUT', `/api/v1/organizations/${organization.id}`, { description: 'by PUT' });
      assert.equal(renamed.statusCode, 200, renamed.body);
      assert.equal(renamed.json().description, 'by PUT');
      assert.equal(renamed.json().name, `put-org-${engine}`);
      const workspace = (
        await send('POST', `/api/v1/organizations/${organization.id}/workspaces`, { name: 'ws' })
      ).json();
      const ws = await send('PUT', `/api/v1/workspaces/${workspace.id}`, { description: 'by PUT' });
      assert.equal(ws.statusCode, 200, ws.body);

      const document = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      const patchPaths = Object.entries(document.paths as Record<string, Record<string, unknown>>)
        .filter(([, operations]) => 'patch' in operations)
        .map(([path]) => path);
      assert.ok(patchPaths.length >= 5);
      for (const path of patchPaths) assert.ok(!('put' in document.paths[path]), `${path} documents no PUT`);
      for (const path of patchPaths) {
        const url = path.replace(/\{(\w+)\}/g, ':$1');
        assert.ok(t.app.hasRoute({ method: 'PUT', url }), `${path} answers PUT`);
      }
    });

    it('reads an organization named in the path, case-insensitively, wherever an id goes', async () => {
      const name = `Named-Org-${engine}`;
      const organization = (await send('POST', '/api/v1/organizations', { name })).json();
      const byName = await send('GET', `/api/v1/organizations/${encodeURIComponent(name)}`);
      assert.equal(byName.statusCode, 200, byName.body);
      assert.equal(byName.json().id, organization.id);
      const lower = await send('GET', `/api/v1/organizations/${name.toLowerCase()}`);
      assert.equal(lower.json().id, organization.id);
      const members = await send('GET', `/api/v1/organizations/${name}/members`);
      assert.equal(members.statusCode, 200);
      const workspace = await send('POST', `/api/v1/organizations/${name}/workspaces`, { name: 'by-name' });
      assert.equal(workspace.statusCode, 201, workspace.body);
      assert.equal(workspace.json().organization_id, organization.id);
      const updated = await send('PUT', `/api/v1/organizations/${name}`, { description: 'named' });
      assert.equal(updated.statusCode, 200);
      assert.equal(updated.json().id, organization.id);
      const uppercaseId = await send('GET', `/api/v1/organizations/${organization.id.toUpperCase()}`);
      assert.equal(uppercaseId.statusCode, 200);
    });

    it('refuses organization names shaped like a UUID (paths would read them as ids)', async () => {
      const uuidName = '01935d5c-9a40-7e12-8c55-6d7e8f901a22';
      const created = await send('POST', '/api/v1/organizations', { name: uuidName });
      assert.equal(created.statusCode, 400);
      assert.equal(detail(created)[0], 'ValueError');
      const organization = (await send('POST', '/api/v1/organizations', { name: `renamed-${engine}` })).json();
      const renamed = await send('PATCH', `/api/v1/organizations/${organization.id}`, { name: uuidName.toUpperCase() });
      assert.equal(renamed.statusCode, 400);
      assert.equal((await send('GET', `/api/v1/organizations/${organization.id}`)).json().name, `renamed-${engine}`);
    });

    it('answers 404 for a name no organization the caller may read has, the same as for an unknown one', async () => {
      const hidden = `hidden-org-${engine}`;
      await send('POST', '/api/v1/organizations', { name: hidden });
      const { token } = await createUserWithToken(t);
      const invisible = await send('GET', `/api/v1/organizations/${hidden}`, undefined, token);
      const unknown = await send('GET', '/api/v1/organizations/no-such-organization', undefined, token);
      assert.equal(invisible.statusCode, 404);
      assert.equal(unknown.statusCode, 404);
      assert.equal(detail(invisible)[0], 'KeyError');
      assert.equal(
        detail(invisible)[1],
        `organization ${hidden} not found`,
        'the message names what was asked, nothing more',
      );
      const deleted = await send('DELETE', `/api/v1/organizations/${hidden}`, undefined, token);
      assert.equal(deleted.statusCode, 404);
      const stillThere = await send('GET', `/api/v1/organizations/${hidden}`);
      assert.equal(stillThere.statusCode, 200);
    });
  });
}
