/**
 * The permission matrix of API.md sections 4 and 5, table driven: every cell
 * is (caller, endpoint, target) -> expected status. Refused cells also check
 * that nothing changed, by re-reading the resources as the internal admin.
 *
 * One shared world serves the read-only cells; mutating cells get a fresh
 * organization ("a fresh acme") with the same human callers in the same
 * roles, its own service account (and API key) and, where needed, a
 * workspace. Fresh organizations cost no password hashing, so they are cheap.
 *
 * Organization admins change the roles of existing members but do not add
 * accounts (API.md 5.1): they invite, and the invitee accepts (5.4). The
 * worlds here are built by the internal admin adding members directly, as
 * superusers may, or through invitations where the flow itself is the point.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { LightMyRequestResponse } from 'fastify';
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
  409: 'EntityExistsError',
  429: 'TooManyRequests',
};

/** An invitation's lifetime (API.md 5.4: 7 days by default). */
const INVITATION_SECONDS = 7 * 24 * 3600;

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
  /** A pending invitation of acme (to an email address no account has), for the read cells. */
  acmeInvitationId: string;
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

    const sendOk = async (
      caller: AnyCaller,
      method: Method,
      url: string,
      payload: object | undefined,
      status: number,
      org?: Org,
    ) => {
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
          const body =
            response.body === '' ? null : JSON.parse(response.body, (k, v) => (k === 'last_used' ? undefined : v));
          return { url, status: response.statusCode, body };
        }),
      );

    /** Runs `act`, checks its status, and for a refusal (or when `always`) that nothing at `watch` changed. */
    const guarded = async (watch: readonly string[], status: number, act: () => Promise<Response>, always = false) => {
      const beforeState = await snapshot(watch);
      const response = await act();
      expectStatus(response, status);
      if (status >= 400 || always)
        assert.deepEqual(await snapshot(watch), beforeState, 'the request changed something');
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
      return (response.json() as { user: { id: string }; role: string }[]).map((m) => ({
        id: m.user.id,
        role: m.role,
      }));
    };

    const workspaceMembers = async (workspaceId: string): Promise<{ id: string; role: string }[]> => {
      const response = await asInternal('GET', `/api/v1/workspaces/${workspaceId}/members`);
      expectStatus(response, 200);
      return (response.json() as { user: { id: string }; role: string }[]).map((m) => ({
        id: m.user.id,
        role: m.role,
      }));
    };

    /** The invitations of an organization, as the internal admin reads them. */
    const invitationsOf = async (orgId: string): Promise<Record<string, any>[]> => {
      const response = await asInternal('GET', `/api/v1/organizations/${orgId}/invitations`);
      expectStatus(response, 200);
      return response.json();
    };

    /**
     * An organization created by acmeAdmin (its only admin), with acmeEditor
     * (editor), acmeViewer (viewer), workspaceAdmin (viewer), a service
     * account with one API key, and optionally a workspace. The members are
     * added by the internal admin: organization admins may not add accounts.
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
        await sendOk('internal', 'PUT', `/api/v1/organizations/${id}/members/${w.humans[who].id}`, { role }, 200);
      }
      const sa = await sendOk(
        'acmeAdmin',
        'POST',
        `/api/v1/organizations/${id}/service_accounts`,
        { username: `sa-${name}` },
        201,
      );
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
          await sendOk(
            'acmeAdmin',
            'PUT',
            `/api/v1/workspaces/${workspaceId}/members/${w.humans[who].id}`,
            { role },
            200,
          );
        }
      }
      return {
        id,
        name,
        serviceAccountId,
        serviceAccountKey,
        serviceAccountKeyId: key.json().id as string,
        workspaceId,
      };
    };

    const freshOrg = (workspace = false) => buildOrg({ workspace });

    before(async () => {
      // Two failed logins per name and address: the login_failures cells lock accounts out cheaply.
      t = await createTestApp(engine, { ROSTER_LOGIN_MAX_FAILURES: '2' });
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
      const internal = await t.repos.users.findInternal();
      assert.ok(internal);
      w = {
        humans,
        internalId: internal.id,
        acme: undefined as unknown as Org,
        globexId: '',
        acmeMemberId: (await createUser(t)).id as string,
        outsiderId: (await createUser(t)).id as string,
        joinerId: (await createUser(t)).id as string,
        acmeInvitationId: '',
      };
      w.acme = await buildOrg({ name: 'acme', workspace: true });
      await sendOk(
        'internal',
        'PUT',
        `/api/v1/organizations/${w.acme.id}/members/${w.acmeMemberId}`,
        { role: 'viewer' },
        200,
      );
      w.globexId = (await sendOk('globexAdmin', 'POST', '/api/v1/organizations', { name: 'globex' }, 201)).json()
        .id as string;
      const invited = await sendOk(
        'acmeAdmin',
        'POST',
        `/api/v1/organizations/${w.acme.id}/invitations`,
        {
          email: `pending-${hex()}@example.com`,
          role: 'viewer',
        },
        201,
      );
      w.acmeInvitationId = invited.json().id as string;
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
        {
          name: 'plain user',
          id: () => w.humans.plain.id,
          expected: row(404, { plain: 200, superuser: 200, internal: 200 }),
        },
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
        {
          name: 'a human acme member',
          id: () => w.acmeMemberId,
          expected: row(403, { superuser: 200, internal: 200 }),
        },
        {
          name: "acme's service account",
          id: () => w.acme.serviceAccountId,
          expected: row(403, { acmeAdmin: 200, acmeServiceAccount: 200, superuser: 200, internal: 200 }),
        },
        {
          name: 'an account in no organization',
          id: () => w.outsiderId,
          expected: row(403, { superuser: 200, internal: 200 }),
        },
        {
          name: 'the globex admin',
          id: () => w.humans.globexAdmin.id,
          expected: row(403, { globexAdmin: 200, superuser: 200, internal: 200 }),
        },
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
            assert.equal(
              await works(org.serviceAccountKey),
              false,
              'the key of a deactivated account must stop working',
            );
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
            await sendOk('internal', 'PUT', `/api/v1/organizations/${org.id}/members/${id}`, { role: 'viewer' }, 200);
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
            const watch = [
              `/api/v1/users/${id}`,
              `/api/v1/organizations/${org.id}/members`,
              `/api/v1/users?limit=1000`,
            ];
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
        const response = await t.app.inject({
          method: 'DELETE',
          url: `/api/v1/users/${user.id}`,
          headers: bearer(token),
        });
        expectStatus(response, 204);
        expectStatus(await asInternal('GET', `/api/v1/users/${user.id}`), 404);
        assert.equal(await works(token), false);
      });

      it('an acme viewer deletes itself -> 204, and leaves acme and its workspace', async () => {
        const org = await freshOrg(true);
        const email = `viewer-${hex()}@example.com`;
        const { user, token } = await createUserWithToken(t, { email });
        // It joins through an invitation to its (verified) email, which it accepts.
        const invitation = await sendOk(
          'acmeAdmin',
          'POST',
          `/api/v1/organizations/${org.id}/invitations`,
          { email, role: 'viewer' },
          201,
          org,
        );
        const accepted = await t.app.inject({
          method: 'POST',
          url: `/api/v1/invitations/${invitation.json().id}/accept`,
          headers: bearer(token),
        });
        expectStatus(accepted, 200);
        await sendOk(
          'acmeAdmin',
          'PUT',
          `/api/v1/workspaces/${org.workspaceId}/members/${user.id}`,
          { role: 'viewer' },
          200,
          org,
        );
        const response = await t.app.inject({
          method: 'DELETE',
          url: `/api/v1/users/${user.id}`,
          headers: bearer(token),
        });
        expectStatus(response, 204);
        assert.ok(!(await orgMembers(org.id)).some((m) => m.id === user.id));
        assert.ok(!(await workspaceMembers(org.workspaceId!)).some((m) => m.id === user.id));
      });

      /** A fresh account that is the only admin of a fresh organization. */
      const lastAdmin = async () => {
        const { user, token } = await createUserWithToken(t);
        const name = `solo-${hex()}`;
        const org = await t.app.inject({
          method: 'POST',
          url: '/api/v1/organizations',
          headers: bearer(token),
          payload: { name },
        });
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
          const watch = [
            `/api/v1/users/${admin.id}`,
            `/api/v1/organizations/${admin.orgId}`,
            `/api/v1/organizations/${admin.orgId}/members`,
          ];
          const response = await guarded(watch, 403, () =>
            t.app.inject({
              method: 'DELETE',
              url: `/api/v1/users/${admin.id}`,
              headers: bearer(cell.token(admin.token)),
            }),
          );
          assert.ok(detail(response)[1].includes(admin.orgName), detail(response)[1]);
          assert.equal(await works(admin.token), true);
        });
      }

      const internalCells: Caller[] = ['superuser', 'internal'];
      for (const caller of internalCells) {
        it(`${caller} deletes the internal account -> 400, nothing changes`, async () => {
          await guarded([`/api/v1/users/${w.internalId}`], 400, () =>
            send(caller, 'DELETE', `/api/v1/users/${w.internalId}`),
          );
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
        {
          name: 'a human acme member',
          id: () => w.acmeMemberId,
          expected: row(403, { superuser: 200, internal: 200 }),
        },
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
        const org = await t.app.inject({
          method: 'POST',
          url: '/api/v1/organizations',
          headers: bearer(token),
          payload: { name },
        });
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

    // ---------------------------------------------------------------- 7, 8

    describe('GET /api/v1/events (who sees which events)', () => {
      // Superusers see every event; acme's admins acme's events; everyone else only events about itself.
      const seesAcmeEvents: Record<Caller, boolean> = {
        anonymous: false,
        plain: false,
        acmeAdmin: true,
        acmeEditor: false,
        acmeViewer: false,
        globexAdmin: false,
        acmeServiceAccount: false,
        superuser: true,
        internal: true,
      };
      for (const caller of CALLERS) {
        it(`${caller} lists the events -> ${caller === 'anonymous' ? 401 : 200}${seesAcmeEvents[caller] ? ", with acme's" : ', only its own'}`, async () => {
          const response = await send(caller, 'GET', '/api/v1/events?limit=1000');
          if (caller === 'anonymous') return expectStatus(response, 401);
          expectStatus(response, 200);
          const own = idOf(caller, w.acme);
          const events = response.json() as {
            actor: { id: string } | null;
            target: { id: string } | null;
            organization_id: string | null;
          }[];
          const others = events.filter((e) => e.actor?.id !== own && e.target?.id !== own);
          assert.equal(
            others.some((e) => e.organization_id === w.acme.id),
            seesAcmeEvents[caller],
          );
          if (caller === 'acmeAdmin')
            assert.ok(
              others.every((e) => e.organization_id !== null),
              'only its organizations',
            );
          if (caller !== 'superuser' && caller !== 'internal') {
            assert.ok(
              others.every((e) => e.organization_id !== null && seesAcmeEvents[caller]),
              'nothing else',
            );
          }
        });
      }
    });

    describe('POST and GET /api/v1/webhooks', () => {
      const create = row(403, { superuser: 201, internal: 201 });
      const list = row(403, { superuser: 200, internal: 200 });
      for (const caller of CALLERS) {
        it(`${caller} registers a webhook -> ${create[caller]}, lists them -> ${list[caller]}`, async () => {
          // A public address literal: accepted without a DNS lookup (deliveries to it simply fail here).
          const created = await send(caller, 'POST', '/api/v1/webhooks', {
            url: 'https://192.88.99.1/hook',
            event_types: ['webhook.*'],
          });
          expectStatus(created, create[caller]);
          expectStatus(await send(caller, 'GET', '/api/v1/webhooks'), list[caller]);
          if (create[caller] === 201)
            expectStatus(await send(caller, 'DELETE', `/api/v1/webhooks/${created.json().id}`), 204);
        });
      }
    });

    // ---------------------------------------------------------------- 3.3

    describe('DELETE /api/v1/users/{id}/login_failures', () => {
      // Every cell locks an account out from an address of its own (2 failures per name and address here).
      let addresses = 0;
      const loginFrom = (remoteAddress: string, username: string, password: string) =>
        t.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, payload: { username, password } });
      const lockedOut = async () => {
        const user = await createUser(t, { email: `locked-${hex()}@example.com` });
        const from = `198.51.100.${++addresses}`;
        for (const name of [user.username as string, user.email as string]) {
          for (let i = 0; i < 2; i++) expectStatus(await loginFrom(from, name, 'wrong-password'), 401);
          expectStatus(await loginFrom(from, name, PASSWORD), 429);
        }
        return { user, from };
      };
      const expected = row(403, { superuser: 204, internal: 204 });
      for (const caller of CALLERS) {
        const status = expected[caller];
        it(`${caller} clears the failed logins of a locked-out account -> ${status}`, async () => {
          const { user, from } = await lockedOut();
          const response = await guarded([`/api/v1/users/${user.id}`], status, () =>
            send(caller, 'DELETE', `/api/v1/users/${user.id}/login_failures`),
          );
          if (status === 204) assert.equal(response.body, '');
          // Cleared: both of its names log in at once; refused: both are still locked out.
          for (const name of [user.username as string, user.email as string]) {
            expectStatus(await loginFrom(from, name, PASSWORD), status === 204 ? 200 : 429, name);
          }
        });
      }
      const missing = row(403, { superuser: 404, internal: 404 });
      for (const caller of CALLERS) {
        const status = missing[caller];
        it(`${caller} clears the failed logins of a nonexistent id -> ${status}`, async () => {
          expectStatus(await send(caller, 'DELETE', `/api/v1/users/${uuidv7()}/login_failures`), status);
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
        {
          name: 'GET /organizations/{acme}',
          url: () => `/api/v1/organizations/${w.acme.id}`,
          check: (b) => assert.equal(b.id, w.acme.id),
        },
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
          check: (b) =>
            assert.deepEqual(
              b.map((x: any) => x.id),
              [w.acme.workspaceId],
            ),
        },
        {
          name: 'GET /workspaces/{ws}',
          url: () => `/api/v1/workspaces/${w.acme.workspaceId}`,
          check: (b) => assert.equal(b.id, w.acme.workspaceId),
        },
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
          await guarded(orgWatch(org), status, () =>
            send(caller, 'DELETE', `/api/v1/organizations/${org.id}`, undefined, org),
          );
          if (status === 204) {
            expectStatus(await asInternal('GET', `/api/v1/organizations/${org.id}`), 404);
            expectStatus(await asInternal('GET', `/api/v1/users/${org.serviceAccountId}`), 404);
            assert.equal(await works(org.serviceAccountKey), false);
          }
        });
      }
      const withWorkspaces: Partial<Row> = {
        acmeAdmin: 403,
        superuser: 403,
        internal: 403,
        acmeEditor: 403,
        globexAdmin: 404,
      };
      for (const [caller, status] of Object.entries(withWorkspaces) as [Caller, number][]) {
        it(`${caller} deletes an organization that has a workspace -> ${status}`, async () => {
          const org = await freshOrg(true);
          await guarded([...orgWatch(org), `/api/v1/workspaces/${org.workspaceId}`], status, () =>
            send(caller, 'DELETE', `/api/v1/organizations/${org.id}`, undefined, org),
          );
        });
      }
    });

    describe('PUT /api/v1/organizations/{fresh acme}/members/{user} {"role"}', () => {
      // Adding an account that is not a member is for superusers only: admins invite (5.1, 5.4).
      const addsNonMember = row(403, { plain: 404, globexAdmin: 404, superuser: 200, internal: 200 });
      for (const caller of CALLERS) {
        const status = addsNonMember[caller];
        it(`${caller} adds a human account that is not a member -> ${status}`, async () => {
          const org = await freshOrg();
          const url = `/api/v1/organizations/${org.id}/members/${w.joinerId}`;
          const response = await guarded(
            [`/api/v1/organizations/${org.id}/members`, `/api/v1/organizations/${org.id}/invitations`],
            status,
            () => send(caller, 'PUT', url, { role: 'viewer' }, org),
          );
          if (status === 200) {
            assert.equal(response.json().role, 'viewer');
            assert.equal(response.json().user.id, w.joinerId);
            assert.ok((await orgMembers(org.id)).some((m) => m.id === w.joinerId && m.role === 'viewer'));
          }
        });
      }
      // Changing the role of an existing member stays with the organization's admins.
      const changesRole = row(403, { plain: 404, globexAdmin: 404, acmeAdmin: 200, superuser: 200, internal: 200 });
      for (const caller of CALLERS) {
        const status = changesRole[caller];
        it(`${caller} makes the acme viewer an editor -> ${status}`, async () => {
          const org = await freshOrg();
          const id = w.humans.acmeViewer.id;
          const response = await guarded([`/api/v1/organizations/${org.id}/members`], status, () =>
            send(caller, 'PUT', `/api/v1/organizations/${org.id}/members/${id}`, { role: 'editor' }, org),
          );
          if (status === 200) {
            assert.equal(response.json().role, 'editor');
            assert.equal(response.json().user.id, id);
            assert.ok((await orgMembers(org.id)).some((m) => m.id === id && m.role === 'editor'));
          }
        });
      }
      const edges: { name: string; caller: Caller; target: (org: Org) => string; status: number }[] = [
        {
          name: 'acmeAdmin demotes itself, the last admin',
          caller: 'acmeAdmin',
          target: () => w.humans.acmeAdmin.id,
          status: 403,
        },
        {
          name: 'superuser demotes the last admin',
          caller: 'superuser',
          target: () => w.humans.acmeAdmin.id,
          status: 403,
        },
        // To an admin every non-member answers the same 403, whatever it is.
        {
          name: 'acmeAdmin adds its service account',
          caller: 'acmeAdmin',
          target: (org) => org.serviceAccountId,
          status: 403,
        },
        { name: 'acmeAdmin adds a nonexistent id', caller: 'acmeAdmin', target: () => uuidv7(), status: 403 },
        {
          name: 'acmeAdmin adds an account it can see (an acme member)',
          caller: 'acmeAdmin',
          target: () => w.acmeMemberId,
          status: 403,
        },
        {
          name: 'superuser adds the service account',
          caller: 'superuser',
          target: (org) => org.serviceAccountId,
          status: 400,
        },
        {
          name: "internal adds another organization's service account",
          caller: 'internal',
          target: () => w.acme.serviceAccountId,
          status: 400,
        },
        { name: 'superuser adds a nonexistent id', caller: 'superuser', target: () => uuidv7(), status: 404 },
        { name: 'internal adds a nonexistent id', caller: 'internal', target: () => uuidv7(), status: 404 },
        { name: 'superuser adds an acme member', caller: 'superuser', target: () => w.acmeMemberId, status: 200 },
      ];
      for (const edge of edges) {
        it(`${edge.name} -> ${edge.status}`, async () => {
          const org = await freshOrg();
          const id = edge.target(org);
          await guarded([`/api/v1/organizations/${org.id}/members`], edge.status, () =>
            send(edge.caller, 'PUT', `/api/v1/organizations/${org.id}/members/${id}`, { role: 'viewer' }, org),
          );
          if (edge.status === 200)
            assert.ok((await orgMembers(org.id)).some((m) => m.id === id && m.role === 'viewer'));
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
            assert.ok(
              !(await workspaceMembers(workspaceId)).some((m) => m.id === id),
              "still a member of the organization's workspace",
            );
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
          await guarded([list], status, () =>
            send(caller, 'DELETE', `${list}/${org.serviceAccountKeyId}`, undefined, org),
          );
          assert.equal(
            await works(org.serviceAccountKey),
            status !== 204,
            'a deleted key stops working at once; a kept one works',
          );
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
          const response = await guarded([url, `${url}/members`], status, () =>
            send(caller, 'PATCH', url, { description: 'x' }, org),
          );
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
            assert.ok(
              (await workspaceMembers(org.workspaceId!)).some(
                (m) => m.id === org.serviceAccountId && m.role === 'editor',
              ),
            );
          }
        });
      }
      // A target the caller cannot see (4.1) answers exactly like an unknown id (404); a visible
      // account outside the workspace's organization answers 400.
      const targets: { name: string; caller: AnyCaller; id: (org: Org) => string; status: number }[] = [
        {
          name: 'an acme member (changing its role)',
          caller: 'acmeAdmin',
          id: () => w.humans.acmeViewer.id,
          status: 200,
        },
        {
          name: 'an acme member not yet in the workspace',
          caller: 'acmeAdmin',
          id: () => w.humans.acmeAdmin.id,
          status: 200,
        },
        {
          name: 'the plain user (outside acme, invisible to it)',
          caller: 'acmeAdmin',
          id: () => w.humans.plain.id,
          status: 404,
        },
        {
          name: 'the globex admin (outside acme, invisible to it)',
          caller: 'acmeAdmin',
          id: () => w.humans.globexAdmin.id,
          status: 404,
        },
        { name: 'a nonexistent id', caller: 'acmeAdmin', id: () => uuidv7(), status: 404 },
        {
          name: 'the plain user (outside acme, invisible to it)',
          caller: 'workspaceAdmin',
          id: () => w.humans.plain.id,
          status: 404,
        },
        {
          name: 'a human of another organization it can see',
          caller: 'acmeAdmin',
          id: () => w.acmeMemberId,
          status: 400,
        },
        {
          name: 'the service account of another organization',
          caller: 'acmeAdmin',
          id: () => w.acme.serviceAccountId,
          status: 400,
        },
        {
          name: 'a human of another organization it can see',
          caller: 'workspaceAdmin',
          id: () => w.acmeMemberId,
          status: 400,
        },
        { name: 'the plain user (outside acme)', caller: 'superuser', id: () => w.humans.plain.id, status: 400 },
        { name: 'the globex admin (outside acme)', caller: 'internal', id: () => w.humans.globexAdmin.id, status: 400 },
        { name: 'a nonexistent id', caller: 'superuser', id: () => uuidv7(), status: 404 },
      ];
      for (const target of targets) {
        it(`${target.caller} adds ${target.name} -> ${target.status}`, async () => {
          const org = await freshOrg(true);
          const members = `/api/v1/workspaces/${org.workspaceId}/members`;
          const id = target.id(org);
          const response = await guarded([members], target.status, () =>
            send(target.caller, 'PUT', `${members}/${id}`, { role: 'editor' }, org),
          );
          if (target.status === 200) {
            assert.equal(response.json().user.id, id);
            assert.ok((await workspaceMembers(org.workspaceId!)).some((m) => m.id === id && m.role === 'editor'));
          }
        });
      }
      it('acmeAdmin: an account it cannot see answers exactly like an unknown id', async () => {
        const org = await freshOrg(true);
        const members = `/api/v1/workspaces/${org.workspaceId}/members`;
        const unknown = uuidv7();
        const hidden = await send('acmeAdmin', 'PUT', `${members}/${w.humans.plain.id}`, { role: 'editor' }, org);
        const missing = await send('acmeAdmin', 'PUT', `${members}/${unknown}`, { role: 'editor' }, org);
        expectStatus(hidden, 404);
        expectStatus(missing, 404);
        assert.equal(hidden.body.replaceAll(w.humans.plain.id, '<id>'), missing.body.replaceAll(unknown, '<id>'));
      });
    });

    // ---------------------------------------------------------------- 5.4

    /** What changes when an invitation is created or answered: the invitations and the members. */
    const orgWatch = (orgId: string) => [
      `/api/v1/organizations/${orgId}/invitations`,
      `/api/v1/organizations/${orgId}/members`,
    ];
    const invitationsUrl = (orgId: string) => `/api/v1/organizations/${orgId}/invitations`;
    const answer = (token: string, id: string, action: 'accept' | 'decline') =>
      t.app.inject({ method: 'POST', url: `/api/v1/invitations/${id}/${action}`, headers: bearer(token) });
    const myInvitations = async (token: string): Promise<Record<string, any>[]> => {
      const response = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users/me/invitations',
        headers: bearer(token),
      });
      expectStatus(response, 200);
      return response.json();
    };

    describe('POST /api/v1/organizations/{fresh acme}/invitations {"email", "role"}', () => {
      const expected = row(403, { plain: 404, globexAdmin: 404, acmeAdmin: 201, superuser: 201, internal: 201 });
      for (const caller of CALLERS) {
        const status = expected[caller];
        it(`${caller} invites an email address -> ${status}`, async () => {
          const org = await freshOrg();
          const email = `invitee-${hex()}@example.com`;
          const membersBefore = await orgMembers(org.id);
          const response = await guarded(orgWatch(org.id), status, () =>
            send(caller, 'POST', invitationsUrl(org.id), { email, role: 'editor' }, org),
          );
          if (status === 201) {
            const invitation = response.json();
            assert.deepEqual(Object.keys(invitation).sort(), [
              'created',
              'email',
              'expires',
              'id',
              'invited_by',
              'organization_id',
              'organization_name',
              'role',
              'status',
              'user_id',
            ]);
            assert.deepEqual(
              { ...invitation, id: undefined, created: undefined, expires: undefined },
              {
                id: undefined,
                created: undefined,
                expires: undefined,
                organization_id: org.id,
                organization_name: org.name,
                role: 'editor',
                email,
                user_id: null,
                invited_by: idOf(caller as Exclude<Caller, 'anonymous'>, org),
                status: 'pending',
              },
            );
            assert.equal(Date.parse(invitation.expires) - Date.parse(invitation.created), INVITATION_SECONDS * 1000);
            assert.deepEqual(
              (await invitationsOf(org.id)).map((i) => i.id),
              [invitation.id],
            );
            assert.deepEqual(await orgMembers(org.id), membersBefore, 'an invitation adds nobody');
          }
        });
      }
    });

    describe('POST /api/v1/organizations/{fresh acme}/invitations: whom', () => {
      type Cell = { name: string; caller: Caller; setup: (org: Org) => Promise<object>; status: number };
      const cells: Cell[] = [
        {
          name: 'acmeAdmin invites an email no account has',
          caller: 'acmeAdmin',
          setup: async () => ({ email: `nobody-${hex()}@example.com` }),
          status: 201,
        },
        {
          name: "acmeAdmin invites an outsider's verified email",
          caller: 'acmeAdmin',
          setup: async () => ({ email: (await createUser(t, { email: `outsider-${hex()}@example.com` })).email }),
          status: 201,
        },
        {
          name: 'acmeAdmin invites an account it can see by user_id',
          caller: 'acmeAdmin',
          setup: async () => ({ user_id: w.acmeMemberId }),
          status: 201,
        },
        {
          name: 'superuser invites an account in no organization by user_id',
          caller: 'superuser',
          setup: async () => ({ user_id: w.outsiderId }),
          status: 201,
        },
        {
          name: 'acmeAdmin invites a member by user_id',
          caller: 'acmeAdmin',
          setup: async () => ({ user_id: w.humans.acmeViewer.id }),
          status: 409,
        },
        {
          name: 'superuser invites a member by user_id',
          caller: 'superuser',
          setup: async () => ({ user_id: w.humans.acmeEditor.id }),
          status: 409,
        },
        {
          name: "acmeAdmin invites a member's verified email (another case)",
          caller: 'acmeAdmin',
          setup: async (org) => {
            const member = await createUser(t, { email: `member-${hex()}@example.com` });
            await sendOk(
              'internal',
              'PUT',
              `/api/v1/organizations/${org.id}/members/${member.id}`,
              { role: 'viewer' },
              200,
            );
            return { email: (member.email as string).toUpperCase() };
          },
          status: 409,
        },
        {
          name: 'acmeAdmin invites an account with a pending invitation again',
          caller: 'acmeAdmin',
          setup: async (org) => {
            await sendOk(
              'acmeAdmin',
              'POST',
              invitationsUrl(org.id),
              { user_id: w.acmeMemberId, role: 'viewer' },
              201,
              org,
            );
            return { user_id: w.acmeMemberId };
          },
          status: 409,
        },
        {
          name: 'acmeAdmin invites an email with a pending invitation again (another case)',
          caller: 'acmeAdmin',
          setup: async (org) => {
            const email = `twice-${hex()}@example.com`;
            await sendOk('acmeAdmin', 'POST', invitationsUrl(org.id), { email, role: 'viewer' }, 201, org);
            return { email: email.toUpperCase() };
          },
          status: 409,
        },
        {
          name: 'acmeAdmin invites its service account by user_id',
          caller: 'acmeAdmin',
          setup: async (org) => ({ user_id: org.serviceAccountId }),
          status: 400,
        },
        {
          name: "superuser invites another organization's service account",
          caller: 'superuser',
          setup: async () => ({ user_id: w.acme.serviceAccountId }),
          status: 400,
        },
        {
          name: 'acmeAdmin invites an account it cannot see by user_id',
          caller: 'acmeAdmin',
          setup: async () => ({ user_id: w.outsiderId }),
          status: 404,
        },
        {
          name: 'acmeAdmin invites a nonexistent id',
          caller: 'acmeAdmin',
          setup: async () => ({ user_id: uuidv7() }),
          status: 404,
        },
        {
          name: 'superuser invites a nonexistent id',
          caller: 'superuser',
          setup: async () => ({ user_id: uuidv7() }),
          status: 404,
        },
      ];
      for (const cell of cells) {
        it(`${cell.name} -> ${cell.status}`, async () => {
          const org = await freshOrg();
          const body = await cell.setup(org);
          const response = await guarded(orgWatch(org.id), cell.status, () =>
            send(cell.caller, 'POST', invitationsUrl(org.id), { ...body, role: 'viewer' }, org),
          );
          if (cell.status === 201) {
            const invitation = response.json();
            assert.equal(invitation.status, 'pending');
            assert.equal(invitation.email, 'email' in body ? body.email : null);
            assert.equal(invitation.user_id, 'user_id' in body ? body.user_id : null);
            assert.ok((await invitationsOf(org.id)).some((i) => i.id === invitation.id && i.status === 'pending'));
          }
        });
      }

      it('answers an email that an account has exactly like one that no account has', async () => {
        const org = await freshOrg();
        const taken = (await createUser(t, { email: `taken-${hex()}@example.com` })).email as string;
        const free = `free-${hex()}@example.com`;
        const shape = (response: Response, email: string) => {
          expectStatus(response, 201);
          const { id: _id, created: _created, expires: _expires, ...rest } = response.json();
          return JSON.stringify(rest).replaceAll(email, '<email>');
        };
        const a = await send('acmeAdmin', 'POST', invitationsUrl(org.id), { email: taken, role: 'viewer' }, org);
        const b = await send('acmeAdmin', 'POST', invitationsUrl(org.id), { email: free, role: 'viewer' }, org);
        assert.equal(shape(a, taken), shape(b, free));
      });

      it('answers an account acmeAdmin cannot see exactly like a nonexistent id', async () => {
        const org = await freshOrg();
        const unknown = uuidv7();
        const hidden = await send(
          'acmeAdmin',
          'POST',
          invitationsUrl(org.id),
          { user_id: w.outsiderId, role: 'viewer' },
          org,
        );
        const missing = await send(
          'acmeAdmin',
          'POST',
          invitationsUrl(org.id),
          { user_id: unknown, role: 'viewer' },
          org,
        );
        expectStatus(hidden, 404);
        expectStatus(missing, 404);
        assert.equal(hidden.body.replaceAll(w.outsiderId, '<id>'), missing.body.replaceAll(unknown, '<id>'));
      });
    });

    describe('GET /api/v1/organizations/{acme}/invitations', () => {
      const expected = row(403, { plain: 404, globexAdmin: 404, acmeAdmin: 200, superuser: 200, internal: 200 });
      for (const caller of CALLERS) {
        const status = expected[caller];
        it(`${caller} lists acme's invitations -> ${status}`, async () => {
          const response = await send(caller, 'GET', invitationsUrl(w.acme.id));
          expectStatus(response, status);
          if (status === 200) {
            const invitations = response.json() as Record<string, any>[];
            assert.ok(invitations.some((i) => i.id === w.acmeInvitationId && i.status === 'pending'));
            assert.ok(invitations.every((i) => i.organization_id === w.acme.id));
          }
        });
      }
    });

    describe('DELETE /api/v1/organizations/{fresh acme}/invitations/{id}', () => {
      const expected = row(403, { plain: 404, globexAdmin: 404, acmeAdmin: 204, superuser: 204, internal: 204 });
      for (const caller of CALLERS) {
        const status = expected[caller];
        it(`${caller} revokes a pending invitation -> ${status}`, async () => {
          const org = await freshOrg();
          const { user, token } = await createUserWithToken(t, { email: `revoked-${hex()}@example.com` });
          const invitation = (
            await sendOk('acmeAdmin', 'POST', invitationsUrl(org.id), { email: user.email, role: 'viewer' }, 201, org)
          ).json();
          const response = await guarded(orgWatch(org.id), status, () =>
            send(caller, 'DELETE', `${invitationsUrl(org.id)}/${invitation.id}`, undefined, org),
          );
          const listed = (await invitationsOf(org.id)).find((i) => i.id === invitation.id)!;
          const pendingForInvitee = (await myInvitations(token)).some((i) => i.id === invitation.id);
          if (status === 204) {
            assert.equal(response.body, '');
            assert.equal(listed.status, 'revoked');
            assert.equal(pendingForInvitee, false);
            // A revoked invitation can no longer be answered, and nothing changes.
            for (const action of ['accept', 'decline'] as const) {
              await guarded(orgWatch(org.id), 400, () => answer(token, invitation.id, action));
            }
          } else {
            assert.equal(listed.status, 'pending');
            assert.equal(pendingForInvitee, true);
          }
        });
      }
      const edges: { name: string; id: (org: Org) => Promise<string>; status: number }[] = [
        {
          name: 'acmeAdmin revokes an invitation twice',
          id: async (org) => {
            const id = (
              await sendOk(
                'acmeAdmin',
                'POST',
                invitationsUrl(org.id),
                { email: `x-${hex()}@example.com`, role: 'viewer' },
                201,
                org,
              )
            ).json().id;
            await sendOk('acmeAdmin', 'DELETE', `${invitationsUrl(org.id)}/${id}`, undefined, 204, org);
            return id as string;
          },
          status: 400,
        },
        {
          name: "acmeAdmin revokes another organization's invitation through this one",
          id: async () => w.acmeInvitationId,
          status: 404,
        },
        { name: 'acmeAdmin revokes a nonexistent invitation', id: async () => uuidv7(), status: 404 },
      ];
      for (const edge of edges) {
        it(`${edge.name} -> ${edge.status}`, async () => {
          const org = await freshOrg();
          const id = await edge.id(org);
          await guarded([...orgWatch(org.id), ...orgWatch(w.acme.id)], edge.status, () =>
            send('acmeAdmin', 'DELETE', `${invitationsUrl(org.id)}/${id}`, undefined, org),
          );
        });
      }
    });

    describe('GET /api/v1/users/me/invitations', () => {
      const expected = row(200, {});
      for (const caller of CALLERS) {
        const status = expected[caller];
        it(`${caller} lists its own pending invitations -> ${status}`, async () => {
          // An organization the caller is not in, whose admin can see every account.
          const inviter: Caller = caller === 'superuser' ? 'internal' : 'superuser';
          const orgId = (
            await sendOk(inviter, 'POST', '/api/v1/organizations', { name: `inviting-${hex()}` }, 201)
          ).json().id as string;
          const human = caller !== 'anonymous' && caller !== 'acmeServiceAccount';
          const mine = human
            ? (
                await sendOk(
                  inviter,
                  'POST',
                  invitationsUrl(orgId),
                  { user_id: idOf(caller as Exclude<Caller, 'anonymous'>, w.acme), role: 'viewer' },
                  201,
                )
              ).json()
            : undefined;
          // Invitations for others, which the caller must not see.
          await sendOk(inviter, 'POST', invitationsUrl(orgId), { user_id: w.outsiderId, role: 'viewer' }, 201);
          await sendOk(
            inviter,
            'POST',
            invitationsUrl(orgId),
            { email: `other-${hex()}@example.com`, role: 'viewer' },
            201,
          );
          const response = await send(caller, 'GET', '/api/v1/users/me/invitations');
          expectStatus(response, status);
          if (status === 200) {
            const listed = response.json() as Record<string, any>[];
            assert.ok(listed.every((i) => i.status === 'pending'));
            assert.deepEqual(
              listed.filter((i) => i.organization_id === orgId),
              mine ? [mine] : [],
            );
          }
        });
      }
    });

    describe('POST /api/v1/invitations/{id}/accept and /decline by anyone but the invitee', () => {
      const expected = row(404, {});
      for (const action of ['accept', 'decline'] as const) {
        for (const caller of CALLERS) {
          const status = expected[caller];
          it(`${caller} ${action}s an invitation of another account -> ${status}`, async () => {
            const org = await freshOrg();
            const invitation = (
              await sendOk(
                'acmeAdmin',
                'POST',
                invitationsUrl(org.id),
                { user_id: w.acmeMemberId, role: 'admin' },
                201,
                org,
              )
            ).json();
            await guarded(orgWatch(org.id), status, () =>
              send(caller, 'POST', `/api/v1/invitations/${invitation.id}/${action}`, undefined, org),
            );
            assert.equal((await invitationsOf(org.id)).find((i) => i.id === invitation.id)!.status, 'pending');
          });
        }
      }
    });

    describe('invitations answered by the invitee', () => {
      it('by verified email: pending, not yet a member nor visible; accept -> 200 {user, role}, then a member; answered -> 400', async () => {
        const org = await freshOrg();
        const email = `joiner-${hex()}@example.com`;
        const { user, token } = await createUserWithToken(t, { email });
        expectStatus(await send('acmeAdmin', 'GET', `/api/v1/users/${user.id}`), 404);
        const invitation = (
          await sendOk(
            'acmeAdmin',
            'POST',
            invitationsUrl(org.id),
            { email: email.toUpperCase(), role: 'editor' },
            201,
            org,
          )
        ).json();
        // Pending: the invitee is neither a member nor visible to the organization.
        expectStatus(await send('acmeAdmin', 'GET', `/api/v1/users/${user.id}`), 404);
        assert.ok(!(await orgMembers(org.id)).some((m) => m.id === user.id));
        assert.deepEqual(
          (await myInvitations(token)).filter((i) => i.organization_id === org.id),
          [invitation],
        );

        const accepted = await answer(token, invitation.id, 'accept');
        expectStatus(accepted, 200);
        assert.deepEqual(Object.keys(accepted.json()).sort(), ['role', 'user']);
        assert.equal(accepted.json().role, 'editor');
        assert.equal(accepted.json().user.id, user.id);
        assert.deepEqual(accepted.json().user, (await asInternal('GET', `/api/v1/users/${user.id}`)).json());
        assert.ok((await orgMembers(org.id)).some((m) => m.id === user.id && m.role === 'editor'));
        expectStatus(await send('acmeAdmin', 'GET', `/api/v1/users/${user.id}`), 200);
        assert.equal((await invitationsOf(org.id)).find((i) => i.id === invitation.id)!.status, 'accepted');
        assert.ok(!(await myInvitations(token)).some((i) => i.id === invitation.id));
        for (const action of ['accept', 'decline'] as const) {
          await guarded(orgWatch(org.id), 400, () => answer(token, invitation.id, action));
        }
      });

      it('by user_id: decline -> 204, not a member; answered -> 400', async () => {
        const org = await freshOrg();
        const { user, token } = await createUserWithToken(t);
        const invitation = (
          await sendOk('superuser', 'POST', invitationsUrl(org.id), { user_id: user.id, role: 'admin' }, 201, org)
        ).json();
        assert.equal(invitation.user_id, user.id);
        assert.equal(invitation.email, null);
        assert.ok((await myInvitations(token)).some((i) => i.id === invitation.id));
        const declined = await guarded(
          orgWatch(org.id).slice(1),
          204,
          () => answer(token, invitation.id, 'decline'),
          true,
        );
        assert.equal(declined.body, '');
        assert.ok(!(await orgMembers(org.id)).some((m) => m.id === user.id));
        assert.equal((await invitationsOf(org.id)).find((i) => i.id === invitation.id)!.status, 'declined');
        assert.ok(!(await myInvitations(token)).some((i) => i.id === invitation.id));
        for (const action of ['accept', 'decline'] as const) {
          await guarded(orgWatch(org.id), 400, () => answer(token, invitation.id, action));
        }
      });

      it('to an email an account set on itself (unverified): not its invitation (404) until a superuser sets the email', async () => {
        const org = await freshOrg();
        const { user, token } = await createUserWithToken(t);
        const email = `self-set-${hex()}@example.com`;
        const set = await t.app.inject({
          method: 'PATCH',
          url: '/api/v1/users/me',
          headers: bearer(token),
          payload: { email },
        });
        expectStatus(set, 200);
        assert.equal(set.json().email_verified, false);
        const invitation = (
          await sendOk('acmeAdmin', 'POST', invitationsUrl(org.id), { email, role: 'viewer' }, 201, org)
        ).json();
        assert.ok(!(await myInvitations(token)).some((i) => i.id === invitation.id));
        for (const action of ['accept', 'decline'] as const) {
          await guarded(orgWatch(org.id), 404, () => answer(token, invitation.id, action));
        }
        // A superuser sets the email (cleared first, so that the request changes it): now verified.
        expectStatus(await asInternal('PATCH', `/api/v1/users/${user.id}`, { email: null }), 200);
        const verified = await asInternal('PATCH', `/api/v1/users/${user.id}`, { email });
        expectStatus(verified, 200);
        assert.equal(verified.json().email_verified, true);
        assert.ok((await myInvitations(token)).some((i) => i.id === invitation.id));
        expectStatus(await answer(token, invitation.id, 'accept'), 200);
        assert.ok((await orgMembers(org.id)).some((m) => m.id === user.id && m.role === 'viewer'));
      });

      it('a nonexistent invitation -> 404 to accept and to decline', async () => {
        for (const action of ['accept', 'decline'] as const) {
          expectStatus(await send('plain', 'POST', `/api/v1/invitations/${uuidv7()}/${action}`), 404);
        }
      });
    });
  });
  describe(`invitations expire [${engine}]`, () => {
    it('after 7 days: listed as expired, 400 to accept or decline, no longer pending for the invitee, and may be sent again', async () => {
      const t = await createTestApp(engine);
      try {
        const as = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
          t.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
        const admin = await createUserWithToken(t);
        const email = `late-${randomBytes(3).toString('hex')}@example.com`;
        const invitee = await createUserWithToken(t, { email });
        const org = (await as(admin.token, 'POST', '/api/v1/organizations', { name: 'expiring' })).json();
        const url = `/api/v1/organizations/${org.id}/invitations`;
        const created = await as(admin.token, 'POST', url, { email, role: 'viewer' });
        expectStatus(created, 201);
        const invitation = created.json();
        assert.equal(Date.parse(invitation.expires) - Date.parse(invitation.created), INVITATION_SECONDS * 1000);

        // One minute before it expires, it is still pending (tokens last an hour: log in again).
        t.clock.advance(INVITATION_SECONDS - 60);
        let inviteeToken = await login(t.app, invitee.user.username, PASSWORD);
        assert.ok(
          (await as(inviteeToken, 'GET', '/api/v1/users/me/invitations'))
            .json()
            .some((i: any) => i.id === invitation.id),
        );

        t.clock.advance(60);
        inviteeToken = await login(t.app, invitee.user.username, PASSWORD);
        const adminToken = await login(t.app, admin.user.username, PASSWORD);
        const members = async () => (await as(adminToken, 'GET', `/api/v1/organizations/${org.id}/members`)).json();
        const membersBefore = await members();
        for (const action of ['accept', 'decline']) {
          expectStatus(await as(inviteeToken, 'POST', `/api/v1/invitations/${invitation.id}/${action}`), 400);
        }
        assert.deepEqual(await members(), membersBefore);
        assert.deepEqual((await as(inviteeToken, 'GET', '/api/v1/users/me/invitations')).json(), []);
        const listed = (await as(adminToken, 'GET', url)).json();
        assert.deepEqual(
          listed.map((i: any) => [i.id, i.status]),
          [[invitation.id, 'expired']],
        );
        // An expired invitation is not a pending one: the invitee may be invited again, and accept.
        const again = await as(adminToken, 'POST', url, { email, role: 'viewer' });
        expectStatus(again, 201);
        expectStatus(await as(inviteeToken, 'POST', `/api/v1/invitations/${again.json().id}/accept`), 200);
      } finally {
        await t.close();
      }
    });
  });
}
