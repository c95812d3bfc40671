/**
 * The permission matrix of API.md sections 4 and 5, table driven: every cell
 * is (caller, endpoint, target) -> expected status. Refused cells also check
 * that nothing changed, by re-reading the resources as the internal admin.
 *
 * One shared world serves the read-only cells; mutating cells get a fresh
 * organization ("a fresh acme") with the same human callers in the same
 * roles, its own service account (and API key) and, where needed, a
 * workspace. Fresh organizations cost no password hashing, so they are cheap.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { LightMyRequestResponse } from 'fastify';
import { bearer, createTestApp, createUser, createUserWithToken, detail, engines, type TestApp } from './helpers.js';

type Caller =
  | 'anonymous'
  | 'plain'
  | 'acmeAdmin'
  | 'acmeEditor'
  | 'acmeViewer'
  | 'globexAdmin'
  | 'acmeServiceAccount'
  | 'superuser'
  | 'internal';

/** An acme viewer who administers the workspace of its (fresh) acme; only in workspace cells. */
type AnyCaller = Caller | 'workspaceAdmin';

const CALLERS: readonly Caller[] = [
  'anonymous',
  'plain',
  'acmeAdmin',
  'acmeEditor',
  'acmeViewer',
  'globexAdmin',
  'acmeServiceAccount',
  'superuser',
  'internal',
];

/** One row of the matrix: the status every caller gets. */
type Row = Record<Caller, number>;

/** A row: `others` for every caller not named, 401 for the anonymous caller unless named. */
function row(others: number, cells: Partial<Row>): Row {
  return Object.fromEntries(CALLERS.map((c) => [c, cells[c] ?? (c === 'anonymous' ? 401 : others)])) as Row;
}

/** The readers of acme: its members (any role), its service account, superusers. */
const ACME_READERS = row(404, {
  acmeAdmin: 200,
  acmeEditor: 200,
  acmeViewer: 200,
  acmeServiceAccount: 200,
  superuser: 200,
  internal: 200,
});

const ERROR_NAMES: Record<number, string> = {
  400: 'ValueError',
  401: 'AuthorizationException',
  403: 'IllegalOperationError',
  404: 'KeyError',
};

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Response = LightMyRequestResponse;

interface Human {
  id: string;
  username: string;
  token: string;
}

/** An organization built by `buildOrg`: the acme callers in their roles, a service account with a key. */
interface Org {
  id: string;
  name: string;
  serviceAccountId: string;
  serviceAccountKey: string;
  serviceAccountKeyId: string;
  /** Its workspace: workspaceAdmin is its admin, acmeEditor an editor, acmeViewer a viewer. */
  workspaceId: string | null;
}

type HumanCaller = Exclude<AnyCaller, 'anonymous' | 'acmeServiceAccount' | 'internal'>;

interface World {
  humans: Record<HumanCaller, Human>;
  internalId: string;
  acme: Org;
  globexId: string;
  /** A human viewer of acme without a token: a target only. */
  acmeMemberId: string;
  /** A human in no organization: a target only. */
  outsiderId: string;
  /** A human in no organization, the target of PUT member cells (so that it joins only fresh organizations). */
  joinerId: string;
}

const hex = () => randomBytes(4).toString('hex');

function expectStatus(response: Response, status: number, what = ''): void {
  assert.equal(response.statusCode, status, `${what} -> ${response.statusCode} ${response.body}`);
  const name = ERROR_NAMES[status];
  if (name !== undefined) assert.equal(detail(response)[0], name, response.body);
}

for (const engine of engines()) {
  describe(`permission matrix [${engine}]`, () => {
    let t: TestApp;
    let w: World;

    const tokenOf = (caller: AnyCaller, org: Org): string | undefined => {
      if (caller === 'anonymous') return undefined;
      if (caller === 'internal') return t.adminToken;
      if (caller === 'acmeServiceAccount') return org.serviceAccountKey;
      return w.humans[caller].token;
    };

    /** The id of the caller's own account. */
    const idOf = (caller: Exclude<AnyCaller, 'anonymous'>, org: Org): string => {
      if (caller === 'internal') return w.internalId;
      if (caller === 'acmeServiceAccount') return org.serviceAccountId;
      return w.humans[caller].id;
    };

    const send = (caller: AnyCaller, method: Method, url: string, payload?: object, org: Org = w.acme) => {
      const token = tokenOf(caller, org);
      return t.app.inject({
        method,
        url,
        headers: token === undefined ? {} : bearer(token),
        ...(payload === undefined ? {} : { payload }),
      });
    };

    const sendOk = async (caller: AnyCaller, method: Method, url: string, payload: object | undefined, status: number, org?: Org) => {
      const response = await send(caller, method, url, payload, org);
      expectStatus(response, status, `${caller} ${method} ${url}`);
      return response;
    };

    const asInternal = (method: Method, url: string, payload?: object) => send('internal', method, url, payload);

    /** What the internal admin reads at these URLs (status and body; `last_used` of API keys left out). */
    const snapshot = async (urls: readonly string[]) =>
      Promise.all(
        urls.map(async (url) => {
          const response = await asInternal('GET', url);
          const body = response.body === '' ? null : JSON.parse(response.body, (k, v) => (k === 'last_used' ? undefined : v));
          return { url, status: response.statusCode, body };
        }),
      );

    /** Runs `act`, checks its status, and for a refusal (or when `always`) that nothing at `watch` changed. */
    const guarded = async (watch: readonly string[], status: number, act: () => Promise<Response>, always = false) => {
      const beforeState = await snapshot(watch);
      const response = await act();
      expectStatus(response, status);
      if (status >= 400 || always) assert.deepEqual(await snapshot(watch), beforeState, 'the request changed something');
      return response;
    };

    /** Whether a bearer credential works (GET /users/me). */
    const works = async (token: string) => {
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(token) });
      assert.ok(response.statusCode === 200 || response.statusCode === 401, response.body);
      return response.statusCode === 200;
    };

    const orgMembers = async (orgId: string): Promise<{ id: string; role: string }[]> => {
      const response = await asInternal('GET', `/api/v1/organizations/${orgId}/members`);
      expectStatus(response, 200);
      return (response.json() as { user: { id: string }; role: string }[]).map((m) => ({ id: m.user.id, role: m.role }));
    };

    const workspaceMembers = async (workspaceId: string): Promise<{ id: string; role: string }[]> => {
      const response = await asInternal('GET', `/api/v1/workspaces/${workspaceId}/members`);
      expectStatus(response, 200);
      return (response.json() as { user: { id: string }; role: string }[]).map((m) => ({ id: m.user.id, role: m.role }));
    };

    /**
     * An organization created by acmeAdmin (its only admin), with acmeEditor
     * (editor), acmeViewer (viewer), workspaceAdmin (viewer), a service
     * account with one API key, and optionally a workspace.
     */
    const buildOrg = async (options: { name?: string; workspace?: boolean } = {}): Promise<Org> => {
      const name = options.name ?? `acme-${hex()}`;
      const created = await sendOk('acmeAdmin', 'POST', '/api/v1/organizations', { name }, 201);
      const id = created.json().id as string;
      for (const [who, role] of [
        ['acmeEditor', 'editor'],
        ['acmeViewer', 'viewer'],
        ['workspaceAdmin', 'viewer'],
      ] as const) {
        await sendOk('acmeAdmin', 'PUT', `/api/v1/organizations/${id}/members/${w.humans[who].id}`, { role }, 200);
      }
      const sa = await sendOk('acmeAdmin', 'POST', `/api/v1/organizations/${id}/service_accounts`, { username: `sa-${name}` }, 201);
      const serviceAccountId = sa.json().id as string;
      const key = await sendOk('acmeAdmin', 'POST', `/api/v1/users/${serviceAccountId}/api_keys`, { name: 'k' }, 201);
      const serviceAccountKey = key.json().key as string;
      assert.match(serviceAccountKey, /^rsk_/);
      let workspaceId: string | null = null;
      if (options.workspace) {
        const ws = await sendOk('acmeAdmin', 'POST', `/api/v1/organizations/${id}/workspaces`, { name: 'ws' }, 201);
        workspaceId = ws.json().id as string;
        for (const [who, role] of [
          ['workspaceAdmin', 'admin'],
          ['acmeEditor', 'editor'],
          ['acmeViewer', 'viewer'],
        ] as const) {
          await sendOk('acmeAdmin', 'PUT', `/api/v1/workspaces/${workspaceId}/members/${w.humans[who].id}`, { role }, 200);
        }
      }
      return { id, name, serviceAccountId, serviceAccountKey, serviceAccountKeyId: key.json().id as string, workspaceId };
    };

    const freshOrg = (workspace = false) => buildOrg({ workspace });

    before(async () => {
      t = await createTestApp(engine);
      const human = async (fields: Record<string, unknown> = {}): Promise<Human> => {
        const { user, token } = await createUserWithToken(t, fields);
        return { id: user.id as string, username: user.username as string, token };
      };
      const humans: Record<HumanCaller, Human> = {
        plain: await human(),
        acmeAdmin: await human(),
        acmeEditor: await human(),
        acmeViewer: await human(),
        globexAdmin: await human(),
        superuser: await human({ is_superuser: true }),
        workspaceAdmin: await human(),
      };
      const internal = await t.store.repos.users.findInternal();
      assert.ok(internal);
      w = {
        humans,
        internalId: internal.id,
        acme: undefined as unknown as Org,
        globexId: '',
        acmeMemberId: (await createUser(t)).id as string,
        outsiderId: (await createUser(t)).id as string,
        joinerId: (await createUser(t)).id as string,
      };
      w.acme = await buildOrg({ name: 'acme', workspace: true });
      await sendOk('internal', 'PUT', `/api/v1/organizations/${w.acme.id}/members/${w.acmeMemberId}`, { role: 'viewer' }, 200);
      w.globexId = (await sendOk('globexAdmin', 'POST', '/api/v1/organizations', { name: 'globex' }, 201)).json().id as string;
    });
    after(() => t.close());

    // ---------------------------------------------------------------- 4.1 / 4.2

    describe('GET /api/v1/users/{id} and GET /api/v1/users?user_id= (visibility)', () => {
      const acmeAccount = row(404, {
        acmeAdmin: 200,
        acmeEditor: 200,
        acmeViewer: 200,
        acmeServiceAccount: 200,
        superuser: 200,
        internal: 200,
      });
      const targets: { name: string; id: () => string; expected: Row }[] = [
        { name: 'acme admin', id: () => w.humans.acmeAdmin.id, expected: acmeAccount },
        { name: 'acme viewer', id: () => w.humans.acmeViewer.id, expected: acmeAccount },
        { name: "acme's service account", id: () => w.acme.serviceAccountId, expected: acmeAccount },
        { name: 'plain user', id: () => w.humans.plain.id, expected: row(404, { plain: 200, superuser: 200, internal: 200 }) },
        {
          name: 'globex admin',
          id: () => w.humans.globexAdmin.id,
          expected: row(404, { globexAdmin: 200, superuser: 200, internal: 200 }),
        },
        { name: 'superuser', id: () => w.humans.superuser.id, expected: row(404, { superuser: 200, internal: 200 }) },
        { name: 'internal admin', id: () => w.internalId, expected: row(404, { superuser: 200, internal: 200 }) },
        { name: 'nonexistent id', id: () => uuidv7(), expected: row(404, {}) },
      ];
      for (const target of targets) {
        for (const caller of CALLERS) {
          const status = target.expected[caller];
          it(`${caller} reads ${target.name} -> ${status}`, async () => {
            const id = target.id();
            const one = await send(caller, 'GET', `/api/v1/users/${id}`);
            expectStatus(one, status);
            if (status === 200) assert.equal(one.json().id, id);
            const list = await send(caller, 'GET', `/api/v1/users?user_id=${id}`);
            if (status === 401) return expectStatus(list, 401);
            expectStatus(list, 200);
            const ids = (list.json() as { id: string }[]).map((u) => u.id);
            assert.deepEqual(ids, status === 200 ? [id] : [], 'the list shows exactly the visible accounts');
          });
        }
      }
    });

    // ---------------------------------------------------------------- 4.3

    describe('PATCH /api/v1/users/{id} {"name"}', () => {
      const targets: { name: string; id: (caller: Caller) => string; expected: Row }[] = [
        {
          name: 'itself',
          id: (caller) => (caller === 'anonymous' ? w.humans.acmeViewer.id : idOf(caller, w.acme)),
          expected: row(200, {}),
        },
        { name: 'a human acme member', id: () => w.acmeMemberId, expected: row(403, { superuser: 200, internal: 200 }) },
        {
          name: "acme's service account",
          id: () => w.acme.serviceAccountId,
          expected: row(403, { acmeAdmin: 200, acmeServiceAccount: 200, superuser: 200, internal: 200 }),
        },
        { name: 'an account in no organization', id: () => w.outsiderId, expected: row(403, { superuser: 200, internal: 200 }) },
        { name: 'the globex admin', id: () => w.humans.globexAdmin.id, expected: row(403, { globexAdmin: 200, superuser: 200, internal: 200 }) },
        { name: 'a nonexistent id', id: () => uuidv7(), expected: row(403, {}) },
      ];
      for (const target of targets) {
        for (const caller of CALLERS) {
          const status = target.expected[caller];
          it(`${caller} renames ${target.name} -> ${status}`, async () => {
            const id = target.id(caller);
            const name = `x-${hex()}`;
            const response = await guarded([`/api/v1/users/${id}`], status, () =>
              send(caller, 'PATCH', `/api/v1/users/${id}`, { name }),
            );
            if (status === 200) {
              assert.equal(response.json().name, name);
              assert.equal((await asInternal('GET', `/api/v1/users/${id}`)).json().name, name);
            }
          });
        }
      }
    });

    describe('PATCH /api/v1/users/{sa} {"is_active": false} on a fresh acme service account', () => {
      const expected = row(403, { acmeAdmin: 200, superuser: 200, internal: 200 });
      for (const caller of CALLERS) {
        const status = expected[caller];
        it(`${caller} deactivates it -> ${status}`, async () => {
          const org = await freshOrg();
          const url = `/api/v1/users/${org.serviceAccountId}`;
          const response = await guarded([url, `${url}/api_keys`], status, () =>
            send(caller, 'PATCH', url, { is_active: false }, org),
          );
          if (status === 200) {
            assert.equal(response.json().is_active, false);
            assert.equal(await works(org.serviceAccountKey), false, 'the key of a deactivated account must stop working');
          } else {
            assert.equal(await works(org.serviceAccountKey), true);
          }
        });
      }
    });

    // ---------------------------------------------------------------- 4.4

    describe('DELETE /api/v1/users/{id}', () => {
      type Target = { org: Org; id: string };
      const targets: { name: string; make: () => Promise<Target>; expected: Row }[] = [
        {
          name: 'a fresh account in no organization',
          make: async () => ({ org: await freshOrg(), id: (await createUser(t)).id as string }),
          expected: row(403, { superuser: 204, internal: 204 }),
        },
        {
          name: 'a fresh human acme member',
          make: async () => {
            const org = await freshOrg();
            const id = (await createUser(t)).id as string;
            await sendOk('acmeAdmin', 'PUT', `/api/v1/organizations/${org.id}/members/${id}`, { role: 'viewer' }, 200);
            return { org, id };
          },
          expected: row(403, { superuser: 204, internal: 204 }),
        },
        {
          name: "a fresh acme's service account",
          make: async () => {
            const org = await freshOrg();
            return { org, id: org.serviceAccountId };
          },
          expected: row(403, { acmeAdmin: 204, acmeServiceAccount: 204, superuser: 204, internal: 204 }),
        },
        {
          name: 'a nonexistent id',
          make: async () => ({ org: w.acme, id: uuidv7() }),
          expected: row(403, { superuser: 404, internal: 404 }),
        },
      ];
      for (const target of targets) {
        for (const caller of CALLERS) {
          const status = target.expected[caller];
          it(`${caller} deletes ${target.name} -> ${status}`, async () => {
            const { org, id } = await target.make();
            const watch = [`/api/v1/users/${id}`, `/api/v1/organizations/${org.id}/members`, `/api/v1/users?limit=1000`];
            await guarded(watch, status, () => send(caller, 'DELETE', `/api/v1/users/${id}`, undefined, org));
            if (status === 204) {
              expectStatus(await asInternal('GET', `/api/v1/users/${id}`), 404);
              assert.ok(!(await orgMembers(org.id)).some((m) => m.id === id));
            }
          });
        }
      }

      it('a plain user deletes itself -> 204, and its token stops working', async () => {
        const { user, token } = await createUserWithToken(t);
        const response = await t.app.inject({ method: 'DELETE', url: `/api/v1/users/${user.id}`, headers: bearer(token) });
        expectStatus(response, 204);
        expectStatus(await asInternal('GET', `/api/v1/users/${user.id}`), 404);
        assert.equal(await works(token), false);
      });

      it('an acme viewer deletes itself -> 204, and leaves acme and its workspace', async () => {
        const org = await freshOrg(true);
        const { user, token } = await createUserWithToken(t);
        await sendOk('acmeAdmin', 'PUT', `/api/v1/organizations/${org.id}/members/${user.id}`, { role: 'viewer' }, 200);
        await sendOk('acmeAdmin', 'PUT', `/api/v1/workspaces/${org.workspaceId}/members/${user.id}`, { role: 'viewer' }, 200);
        const response = await t.app.inject({ method: 'DELETE', url: `/api/v1/users/${user.id}`, headers: bearer(token) });
        expectStatus(response, 204);
        assert.ok(!(await orgMembers(org.id)).some((m) => m.id === user.id));
        assert.ok(!(await workspaceMembers(org.workspaceId!)).some((m) => m.id === user.id));
      });

      /** A fresh account that is the only admin of a fresh organization. */
      const lastAdmin = async () => {
        const { user, token } = await createUserWithToken(t);
        const name = `solo-${hex()}`;
        const org = await t.app.inject({ method: 'POST', url: '/api/v1/organizations', headers: bearer(token), payload: { name } });
        expectStatus(org, 201);
        return { id: user.id as string, token, orgId: org.json().id as string, orgName: name };
      };
      const lastAdminCells: { who: string; token: (self: string) => string }[] = [
        { who: 'superuser', token: () => w.humans.superuser.token },
        { who: 'internal', token: () => t.adminToken },
        { who: 'the last admin itself', token: (self) => self },
      ];
      for (const cell of lastAdminCells) {
        it(`${cell.who} deletes the last admin of an organization -> 403 naming it, nothing changes`, async () => {
          const admin = await lastAdmin();
          const watch = [`/api/v1/users/${admin.id}`, `/api/v1/organizations/${admin.orgId}`, `/api/v1/organizations/${admin.orgId}/members`];
          const response = await guarded(watch, 403, () =>
            t.app.inject({ method: 'DELETE', url: `/api/v1/users/${admin.id}`, headers: bearer(cell.token(admin.token)) }),
          );
          assert.ok(detail(response)[1].includes(admin.orgName), detail(response)[1]);
          assert.equal(await works(admin.token), true);
        });
      }

      const internalCells: Caller[] = ['superuser', 'internal'];
      for (const caller of internalCells) {
        it(`${caller} deletes the internal account -> 400, nothing changes`, async () => {
          await guarded([`/api/v1/users/${w.internalId}`], 400, () => send(caller, 'DELETE', `/api/v1/users/${w.internalId}`));
        });
      }
    });

    describe('DELETE /api/v1/users/{id}?dry_run=true (same rules, changes nothing)', () => {
      const targets: { name: string; id: (org: Org) => string; expected: Row }[] = [
        {
          name: "a fresh acme's service account",
          id: (org) => org.serviceAccountId,
          expected: row(403, { acmeAdmin: 200, acmeServiceAccount: 200, superuser: 200, internal: 200 }),
        },
        { name: 'a human acme member', id: () => w.acmeMemberId, expected: row(403, { superuser: 200, internal: 200 }) },
        { name: 'a nonexistent id', id: () => uuidv7(), expected: row(403, { superuser: 404, internal: 404 }) },
      ];
      for (const target of targets) {
        for (const caller of CALLERS) {
          const status = target.expected[caller];
          it(`${caller} plans deleting ${target.name} -> ${status}`, async () => {
            const org = await freshOrg();
            const id = target.id(org);
            const watch = [
              `/api/v1/users/${id}`,
              `/api/v1/users/${org.serviceAccountId}/api_keys`,
              `/api/v1/organizations/${org.id}/members`,
              `/api/v1/organizations/${w.acme.id}/members`,
            ];
            const response = await guarded(
              watch,
              status,
              () => send(caller, 'DELETE', `/api/v1/users/${id}?dry_run=true`, undefined, org),
              true,
            );
            if (status === 200) {
              assert.equal(response.json().user_id, id);
              assert.equal(response.json().allowed, true);
            }
            assert.equal(await works(org.serviceAccountKey), true);
          });
        }
      }

      it('superuser plans deleting the last admin of an organization -> 200, refused by the plan, nothing changes', async () => {
        const { user, token } = await createUserWithToken(t);
        const name = `solo-${hex()}`;
        const org = await t.app.inject({ method: 'POST', url: '/api/v1/organizations', headers: bearer(token), payload: { name } });
        const orgId = org.json().id as string;
        const watch = [`/api/v1/users/${user.id}`, `/api/v1/organizations/${orgId}/members`];
        const response = await guarded(
          watch,
          200,
          () => send('superuser', 'DELETE', `/api/v1/users/${user.id}?dry_run=true`),
          true,
        );
        const plan = response.json();
        assert.equal(plan.allowed, false);
        assert.ok(
          (plan.blockers as { reason: string; organization_id: string | null }[]).some(
            (b) => b.reason === 'last_admin' && b.organization_id === orgId,
          ),
          response.body,
        );
        assert.equal(await works(token), true);
      });
    });

    // ---------------------------------------------------------------- 4.5

    describe('POST /api/v1/users', () => {
      const expected = row(403, { superuser: 201, internal: 201 });
      for (const caller of CALLERS) {
        const status = expected[caller];
        it(`${caller} creates a local account -> ${status}`, async () => {
          const username = `new-${hex()}`;
          const response = await guarded([`/api/v1/users?username=${username}`], status, () =>
            send(caller, 'POST', '/api/v1/users', { username, password: 'a-good-password-1' }),
          );
          if (status === 201) assert.equal(response.json().username, username);
        });
      }
    });

    // ---------------------------------------------------------------- 5.1

    describe('POST /api/v1/organizations', () => {
      const expected = row(201, { acmeServiceAccount: 403 });
      for (const caller of CALLERS) {
        const status = expected[caller];
        it(`${caller} creates an organization -> ${status}`, async () => {
          const name = `org-${hex()}`;
          const response = await guarded(['/api/v1/organizations?limit=1000'], status, () =>
            send(caller, 'POST', '/api/v1/organizations', { name }),
          );
          if (status === 201) {
            assert.equal(response.json().name, name);
            const members = await orgMembers(response.json().id as string);
            assert.deepEqual(members, [{ id: idOf(caller as Exclude<Caller, 'anonymous'>, w.acme), role: 'admin' }]);
          }
        });
      }
    });

    describe('reads of acme: GET organization, members, workspaces; GET workspace and its members', () => {
      const reads: { name: string; url: () => string; check?: (body: any) => void }[] = [
        { name: 'GET /organizations/{acme}', url: () => `/api/v1/organizations/${w.acme.id}`, check: (b) => assert.equal(b.id, w.acme.id) },
        {
          name: 'GET /organizations/{acme}/members',
          url: () => `/api/v1/organizations/${w.acme.id}/members`,
          check: (b) => {
            assert.ok(Array.isArray(b));
            for (const m of b) {
              assert.deepEqual(Object.keys(m).sort(), ['role', 'user']);
              assert.ok(['admin', 'editor', 'viewer'].includes(m.role));
              assert.equal(typeof m.user.id, 'string');
            }
            assert.ok(b.some((m: any) => m.user.id === w.humans.acmeAdmin.id && m.role === 'admin'));
            assert.ok(b.some((m: any) => m.user.id === w.humans.acmeEditor.id && m.role === 'editor'));
          },
        },
        {
          name: 'GET /organizations/{acme}/workspaces',
          url: () => `/api/v1/organizations/${w.acme.id}/workspaces`,
          check: (b) => assert.deepEqual(b.map((x: any) => x.id), [w.acme.workspaceId]),
        },
        { name: 'GET /workspaces/{ws}', url: () => `/api/v1/workspaces/${w.acme.workspaceId}`, check: (b) => assert.equal(b.id, w.acme.workspaceId) },
        {
          name: 'GET /workspaces/{ws}/members',
          url: () => `/api/v1/workspaces/${w.acme.workspaceId}/members`,
          check: (b) => assert.ok(b.some((m: any) => m.user.id === w.humans.workspaceAdmin.id && m.role === 'admin')),
        },
      ];
      for (const read of reads) {
        for (const caller of CALLERS) {
          const status = ACME_READERS[caller];
          it(`${caller}: ${read.name} -> ${status}`, async () => {
            const response = await send(caller, 'GET', read.url());
            expectStatus(response, status);
            if (status === 200) read.check?.(response.json());
          });
        }
      }
      it('superuser: GET /organizations/{nonexistent} -> 404', async () => {
        expectStatus(await send('superuser', 'GET', `/api/v1/organizations/${uuidv7()}`), 404);
      });
    });

    describe('PATCH /api/v1/organizations/{fresh acme} {"description"}', () => {
      const expected = row(403, { plain: 404, globexAdmin: 404, acmeAdmin: 200, superuser: 200, internal: 200 });
      for (const caller of CALLERS) {
        const status = expected[caller];
        it(`${caller} -> ${status}`, async () => {
          const org = await freshOrg();
          const url = `/api/v1/organizations/${org.id}`;
          const response = await guarded([url], status, () => send(caller, 'PATCH', url, { description: 'x' }, org));
          if (status === 200) assert.equal(response.json().description, 'x');
        });
      }
    });

    describe('DELETE /api/v1/organizations/{fresh acme}', () => {
      const orgWatch = (org: Org) => [
        `/api/v1/organizations/${org.id}`,
        `/api/v1/organizations/${org.id}/members`,
        `/api/v1/organizations/${org.id}/workspaces`,
        `/api/v1/users/${org.serviceAccountId}`,
      ];
      const expected = row(403, { plain: 404, globexAdmin: 404, acmeAdmin: 204, superuser: 204, internal: 204 });
      for (const caller of CALLERS) {
        const status = expected[caller];
        it(`${caller} deletes an organization without workspaces -> ${status}`, async () => {
          const org = await freshOrg();
          await guarded(orgWatch(org), status, () => send(caller, 'DELETE', `/api/v1/organizations/${org.id}`, undefined, org));
          if (status === 204) {
            expectStatus(await asInternal('GET', `/api/v1/organizations/${org.id}`), 404);
            expectStatus(await asInternal('GET', `/api/v1/users/${org.serviceAccountId}`), 404);
            assert.equal(await works(org.serviceAccountKey), false);
          }
        });
      }
      const withWorkspaces: Partial<Row> = { acmeAdmin: 403, superuser: 403, internal: 403, acmeEditor: 403, globexAdmin: 404 };
      for (const [caller, status] of Object.entries(withWorkspaces) as [Caller, number][]) {
        it(`${caller} deletes an organization that has a workspace -> ${status}`, async () => {
          const org = await freshOrg(true);
          await guarded([...orgWatch(org), `/api/v1/workspaces/${org.workspaceId}`], status, () =>
            send(caller, 'DELETE', `/api/v1/organizations/${org.id}`, undefined, org),
          );
        });
      }
    });

    describe('PUT /api/v1/organizations/{fresh acme}/members/{user} {"role": "viewer"}', () => {
      const expected = row(403, { plain: 404, globexAdmin: 404, acmeAdmin: 200, superuser: 200, internal: 200 });
      for (const caller of CALLERS) {
        const status = expected[caller];
        it(`${caller} adds a human account -> ${status}`, async () => {
          const org = await freshOrg();
          const url = `/api/v1/organizations/${org.id}/members/${w.joinerId}`;
          const response = await guarded([`/api/v1/organizations/${org.id}/members`], status, () =>
            send(caller, 'PUT', url, { role: 'viewer' }, org),
          );
          if (status === 200) {
            assert.equal(response.json().role, 'viewer');
            assert.equal(response.json().user.id, w.joinerId);
            assert.ok((await orgMembers(org.id)).some((m) => m.id === w.joinerId && m.role === 'viewer'));
          }
        });
      }
      const edges: { name: string; caller: Caller; target: (org: Org) => string; status: number }[] = [
        { name: 'acmeAdmin demotes itself, the last admin', caller: 'acmeAdmin', target: () => w.humans.acmeAdmin.id, status: 403 },
        { name: 'superuser demotes the last admin', caller: 'superuser', target: () => w.humans.acmeAdmin.id, status: 403 },
        { name: 'acmeAdmin adds its service account', caller: 'acmeAdmin', target: (org) => org.serviceAccountId, status: 400 },
        { name: 'superuser adds the service account', caller: 'superuser', target: (org) => org.serviceAccountId, status: 400 },
      ];
      for (const edge of edges) {
        it(`${edge.name} -> ${edge.status}`, async () => {
          const org = await freshOrg();
          await guarded([`/api/v1/organizations/${org.id}/members`], edge.status, () =>
            send(edge.caller, 'PUT', `/api/v1/organizations/${org.id}/members/${edge.target(org)}`, { role: 'viewer' }, org),
          );
        });
      }
    });

    describe('DELETE /api/v1/organizations/{fresh acme}/members/{user}', () => {
      type Member = 'acmeAdmin' | 'acmeEditor' | 'acmeViewer' | 'workspaceAdmin';
      const cells: [AnyCaller, Member, number][] = [
        ['acmeAdmin', 'acmeViewer', 204],
        ['acmeAdmin', 'acmeEditor', 204],
        ['acmeAdmin', 'workspaceAdmin', 204],
        ['superuser', 'acmeViewer', 204],
        ['internal', 'acmeEditor', 204],
        ['acmeViewer', 'acmeViewer', 204],
        ['acmeEditor', 'acmeEditor', 204],
        ['workspaceAdmin', 'workspaceAdmin', 204],
        ['acmeEditor', 'acmeViewer', 403],
        ['acmeViewer', 'acmeEditor', 403],
        ['workspaceAdmin', 'acmeViewer', 403],
        ['acmeServiceAccount', 'acmeViewer', 403],
        ['plain', 'acmeViewer', 404],
        ['globexAdmin', 'acmeViewer', 404],
        ['anonymous', 'acmeViewer', 401],
        ['acmeAdmin', 'acmeAdmin', 403],
        ['superuser', 'acmeAdmin', 403],
      ];
      for (const [caller, member, status] of cells) {
        it(`${caller} removes ${member === caller ? 'itself' : member} -> ${status}`, async () => {
          const org = await freshOrg(true);
          const workspaceId = org.workspaceId!;
          const id = w.humans[member].id;
          await guarded(
            [`/api/v1/organizations/${org.id}/members`, `/api/v1/workspaces/${workspaceId}/members`],
            status,
            () => send(caller, 'DELETE', `/api/v1/organizations/${org.id}/members/${id}`, undefined, org),
          );
          if (status === 204) {
            assert.ok(!(await orgMembers(org.id)).some((m) => m.id === id), 'still a member of the organization');
            assert.ok(!(await workspaceMembers(workspaceId)).some((m) => m.id === id), "still a member of the organization's workspace");
          }
        });
      }
    });

    // ---------------------------------------------------------------- 5.2

    describe('POST /api/v1/organizations/{fresh acme}/service_accounts', () => {
      const expected = row(403, { plain: 404, globexAdmin: 404, acmeAdmin: 201, superuser: 201, internal: 201 });
      for (const caller of CALLERS) {
        const status = expected[caller];
        it(`${caller} -> ${status}`, async () => {
          const org = await freshOrg();
          const username = `sa-${hex()}`;
          const response = await guarded([`/api/v1/users?username=${username}`], status, () =>
            send(caller, 'POST', `/api/v1/organizations/${org.id}/service_accounts`, { username }, org),
          );
          if (status === 201) {
            const body = response.json();
            assert.equal(body.is_service_account, true);
            assert.equal(body.organization_id, org.id);
            assert.equal(body.email, null);
            assert.equal(body.username, username);
          }
        });
      }
    });

    describe('POST /api/v1/users/{sa}/api_keys {"name"}', () => {
      const expected = row(403, { plain: 404, globexAdmin: 404, acmeAdmin: 201, superuser: 201, internal: 201 });
      for (const caller of CALLERS) {
        const status = expected[caller];
        it(`${caller} creates a key for a fresh acme's service account -> ${status}`, async () => {
          const org = await freshOrg();
          const url = `/api/v1/users/${org.serviceAccountId}/api_keys`;
          const response = await guarded([url], status, () => send(caller, 'POST', url, { name: 'k' }, org));
          if (status === 201) {
            const key = response.json().key as string;
            assert.match(key, /^rsk_/);
            const me = await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(key) });
            expectStatus(me, 200);
            assert.equal(me.json().id, org.serviceAccountId);
          }
        });
      }
      const onHuman: Caller[] = ['superuser', 'internal'];
      for (const caller of onHuman) {
        it(`${caller} creates a key for a human account -> 400`, async () => {
          const url = `/api/v1/users/${w.acmeMemberId}/api_keys`;
          await guarded([url], 400, () => send(caller, 'POST', url, { name: 'k' }));
        });
      }
    });

    describe('GET /api/v1/users/{sa}/api_keys', () => {
      const expected = row(403, { plain: 404, globexAdmin: 404, acmeAdmin: 200, superuser: 200, internal: 200 });
      for (const caller of CALLERS) {
        const status = expected[caller];
        it(`${caller} lists the keys of acme's service account -> ${status}`, async () => {
          const response = await send(caller, 'GET', `/api/v1/users/${w.acme.serviceAccountId}/api_keys`);
          expectStatus(response, status);
          if (status === 200) {
            const keys = response.json() as Record<string, unknown>[];
            assert.ok(keys.some((k) => k.id === w.acme.serviceAccountKeyId));
            for (const k of keys) assert.ok(!('key' in k), 'a listed key must not carry its secret');
          }
        });
      }
      it('superuser lists the keys of a human account -> 400', async () => {
        expectStatus(await send('superuser', 'GET', `/api/v1/users/${w.acmeMemberId}/api_keys`), 400);
      });
    });

    describe('DELETE /api/v1/users/{sa}/api_keys/{id} on a fresh acme', () => {
      const expected = row(403, { plain: 404, globexAdmin: 404, acmeAdmin: 204, superuser: 204, internal: 204 });
      for (const caller of CALLERS) {
        const status = expected[caller];
        it(`${caller} -> ${status}`, async () => {
          const org = await freshOrg();
          const list = `/api/v1/users/${org.serviceAccountId}/api_keys`;
          await guarded([list], status, () => send(caller, 'DELETE', `${list}/${org.serviceAccountKeyId}`, undefined, org));
          assert.equal(await works(org.serviceAccountKey), status !== 204, 'a deleted key stops working at once; a kept one works');
        });
      }
    });

    // ---------------------------------------------------------------- 5.3

    describe('POST /api/v1/organizations/{fresh acme}/workspaces {"name"}', () => {
      const expected = row(403, {
        plain: 404,
        globexAdmin: 404,
        acmeAdmin: 201,
        acmeEditor: 201,
        superuser: 201,
        internal: 201,
      });
      for (const caller of CALLERS) {
        const status = expected[caller];
        it(`${caller} -> ${status}`, async () => {
          const org = await freshOrg();
          const url = `/api/v1/organizations/${org.id}/workspaces`;
          const response = await guarded([url], status, () => send(caller, 'POST', url, { name: `ws-${hex()}` }, org));
          if (status === 201) assert.equal(response.json().organization_id, org.id);
        });
      }
    });

    describe('PATCH and DELETE /api/v1/workspaces/{ws of a fresh acme}', () => {
      const callers: AnyCaller[] = [...CALLERS, 'workspaceAdmin'];
      const base = row(403, { plain: 404, globexAdmin: 404, acmeAdmin: 200, superuser: 200, internal: 200 });
      const patchRow: Record<AnyCaller, number> = { ...base, workspaceAdmin: 200 };
      for (const caller of callers) {
        const status = patchRow[caller];
        it(`${caller} patches it -> ${status}`, async () => {
          const org = await freshOrg(true);
          const url = `/api/v1/workspaces/${org.workspaceId}`;
          const response = await guarded([url, `${url}/members`], status, () => send(caller, 'PATCH', url, { description: 'x' }, org));
          if (status === 200) assert.equal(response.json().description, 'x');
        });
      }
      for (const caller of callers) {
        const status = patchRow[caller] === 200 ? 204 : patchRow[caller];
        it(`${caller} deletes it -> ${status}`, async () => {
          const org = await freshOrg(true);
          const url = `/api/v1/workspaces/${org.workspaceId}`;
          await guarded([url, `${url}/members`, `/api/v1/organizations/${org.id}/workspaces`], status, () =>
            send(caller, 'DELETE', url, undefined, org),
          );
          if (status === 204) expectStatus(await asInternal('GET', url), 404);
        });
      }
    });

    describe('PUT /api/v1/workspaces/{ws of a fresh acme}/members/{user} {"role": "editor"}', () => {
      const callers: AnyCaller[] = [...CALLERS, 'workspaceAdmin'];
      const base = row(403, { plain: 404, globexAdmin: 404, acmeAdmin: 200, superuser: 200, internal: 200 });
      const permission: Record<AnyCaller, number> = { ...base, workspaceAdmin: 200 };
      for (const caller of callers) {
        const status = permission[caller];
        it(`${caller} adds acme's service account -> ${status}`, async () => {
          const org = await freshOrg(true);
          const members = `/api/v1/workspaces/${org.workspaceId}/members`;
          const response = await guarded([members], status, () =>
            send(caller, 'PUT', `${members}/${org.serviceAccountId}`, { role: 'editor' }, org),
          );
          if (status === 200) {
            assert.equal(response.json().role, 'editor');
            assert.ok((await workspaceMembers(org.workspaceId!)).some((m) => m.id === org.serviceAccountId && m.role === 'editor'));
          }
        });
      }
      const targets: { name: string; id: (org: Org) => string; status: number }[] = [
        { name: 'an acme member (changing its role)', id: () => w.humans.acmeViewer.id, status: 200 },
        { name: 'an acme member not yet in the workspace', id: () => w.humans.acmeAdmin.id, status: 200 },
        { name: 'the plain user (outside acme)', id: () => w.humans.plain.id, status: 400 },
        { name: 'the globex admin (outside acme)', id: () => w.humans.globexAdmin.id, status: 400 },
        { name: 'the service account of another organization', id: () => w.acme.serviceAccountId, status: 400 },
      ];
      for (const target of targets) {
        it(`acmeAdmin adds ${target.name} -> ${target.status}`, async () => {
          const org = await freshOrg(true);
          const members = `/api/v1/workspaces/${org.workspaceId}/members`;
          const id = target.id(org);
          const response = await guarded([members], target.status, () =>
            send('acmeAdmin', 'PUT', `${members}/${id}`, { role: 'editor' }, org),
          );
          if (target.status === 200) {
            assert.equal(response.json().user.id, id);
            assert.ok((await workspaceMembers(org.workspaceId!)).some((m) => m.id === id && m.role === 'editor'));
          }
        });
      }
    });
  });
}
