/**
 * Many requests in flight at once in one process: the database must never
 * surface a lock error or a 500, and every write must land exactly once.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  PASSWORD,
  bearer,
  createTestApp,
  createUser,
  createUserWithToken,
  engines,
  login,
  type TestApp,
} from './helpers.js';

for (const engine of engines()) {
  describe(`concurrent requests in one process [${engine}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(engine);
    });
    after(() => t.close());

    it('serves 400 mixed concurrent reads and writes without a 5xx, applying each write once', async () => {
      const targets = await Promise.all(Array.from({ length: 10 }, () => createUser(t)));
      const userToken = await login(t.app, targets[0]!.username, PASSWORD);
      const requests = Array.from({ length: 400 }, (_, i) => {
        const target = targets[Math.floor(i / 5) % targets.length]!;
        switch (i % 5) {
          case 0:
            return {
              method: 'POST' as const,
              url: '/api/v1/users',
              payload: { username: `burst-${i}`, password: PASSWORD },
            };
          case 1:
            return {
              method: 'PATCH' as const,
              url: `/api/v1/users/${target.id}`,
              payload: { metadata: { writer: i } },
            };
          case 2:
            return { method: 'GET' as const, url: `/api/v1/users?limit=50&offset=${i % 30}` };
          case 3:
            return { method: 'GET' as const, url: `/api/v1/users/${target.id}` };
          default:
            return { method: 'GET' as const, url: '/api/v1/users/me', token: userToken };
        }
      });
      const responses = await Promise.all(
        requests.map((r) => t.app.inject({ ...r, headers: bearer(r.token ?? t.adminToken) })),
      );
      const failures = responses.filter((r) => r.statusCode >= 500).map((r) => r.body);
      assert.deepEqual(failures, []);
      assert.deepEqual(
        responses.filter((r) => r.statusCode !== 200 && r.statusCode !== 201).map((r) => r.body),
        [],
      );

      const created = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users?limit=1000',
        headers: bearer(t.adminToken),
      });
      assert.equal(created.json().filter((u: { username: string }) => u.username.startsWith('burst-')).length, 80);
      // Each target got 8 metadata writes: its version counts every one of them.
      for (const target of targets) {
        const response = await t.app.inject({
          method: 'GET',
          url: `/api/v1/users/${target.id}`,
          headers: bearer(t.adminToken),
        });
        assert.equal(response.headers.etag, '"v9"');
      }
    });

    it('keeps an admin in every organization when its admins leave, demote each other or delete themselves at once', async () => {
      type Admin = { user: Record<string, any>; token: string };
      const del = (org: string, x: Admin) =>
        t.app.inject({ method: 'DELETE', url: `/api/v1/users/${x.user.id}`, headers: bearer(x.token) });
      const leave = (org: string, x: Admin) =>
        t.app.inject({
          method: 'DELETE',
          url: `/api/v1/organizations/${org}/members/${x.user.id}`,
          headers: bearer(x.token),
        });
      const demote = (org: string, x: Admin, other: Admin) =>
        t.app.inject({
          method: 'PUT',
          url: `/api/v1/organizations/${org}/members/${other.user.id}`,
          headers: bearer(x.token),
          payload: { role: 'viewer' },
        });
      const scenarios: [string, (org: string, a: Admin, b: Admin) => Promise<{ statusCode: number }>[]][] = [
        ['both delete themselves', (org, a, b) => [del(org, a), del(org, b)]],
        ['one deletes itself while the other leaves', (org, a, b) => [del(org, a), leave(org, b)]],
        ['both leave', (org, a, b) => [leave(org, a), leave(org, b)]],
        ['each demotes the other', (org, a, b) => [demote(org, a, b), demote(org, b, a)]],
      ];
      for (const [name, race] of scenarios) {
        for (let round = 0; round < 3; round++) {
          const [a, b] = await Promise.all([createUserWithToken(t), createUserWithToken(t)]);
          const created = await t.app.inject({
            method: 'POST',
            url: '/api/v1/organizations',
            headers: bearer(a.token),
            payload: { name: `race ${name} ${round}` },
          });
          const org = created.json().id as string;
          // Organization admins do not add accounts (they invite); a superuser does.
          const added = await t.app.inject({
            method: 'PUT',
            url: `/api/v1/organizations/${org}/members/${b.user.id}`,
            headers: bearer(t.adminToken),
            payload: { role: 'admin' },
          });
          assert.equal(added.statusCode, 200, added.body);
          const results = await Promise.all(race(org, a, b));
          const statuses = results.map((r) => r.statusCode);
          assert.ok(
            statuses.every((s) => s < 500),
            `${name}: ${statuses}`,
          );
          const members = await t.app.inject({
            method: 'GET',
            url: `/api/v1/organizations/${org}/members`,
            headers: bearer(t.adminToken),
          });
          const admins = members.json().filter((m: { role: string }) => m.role === 'admin').length;
          assert.equal(admins, 1, `${name}, round ${round}: ${admins} admins left after ${statuses}`);
        }
      }
    });

    it('deletes a member with workspace memberships while an admin removes it from the organization, without a 5xx', async () => {
      const owner = await createUserWithToken(t);
      const org = (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/organizations',
          headers: bearer(owner.token),
          payload: { name: 'race delete and remove' },
        })
      ).json().id as string;
      const workspace = (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/organizations/${org}/workspaces`,
          headers: bearer(owner.token),
          payload: { name: 'race-ws' },
        })
      ).json().id as string;
      for (let round = 0; round < 10; round++) {
        const member = await createUserWithToken(t);
        for (const [url, role] of [
          [`/api/v1/organizations/${org}/members/${member.user.id}`, 'viewer'],
          [`/api/v1/workspaces/${workspace}/members/${member.user.id}`, 'editor'],
        ] as const) {
          const added = await t.app.inject({ method: 'PUT', url, headers: bearer(t.adminToken), payload: { role } });
          assert.equal(added.statusCode, 200, added.body);
        }
        const [deleted, removed] = await Promise.all([
          t.app.inject({ method: 'DELETE', url: `/api/v1/users/${member.user.id}`, headers: bearer(member.token) }),
          t.app.inject({
            method: 'DELETE',
            url: `/api/v1/organizations/${org}/members/${member.user.id}`,
            headers: bearer(owner.token),
          }),
        ]);
        assert.equal(deleted.statusCode, 204, deleted.body);
        assert.ok([204, 404].includes(removed.statusCode), `round ${round}: ${removed.statusCode} ${removed.body}`);
        const gone = await t.app.inject({
          method: 'GET',
          url: `/api/v1/users/${member.user.id}`,
          headers: bearer(t.adminToken),
        });
        assert.equal(gone.statusCode, 404);
      }
    });

    it('answers an invitation once when the invitee accepts and declines while an admin revokes it', async () => {
      const admin = await createUserWithToken(t);
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/organizations',
        headers: bearer(admin.token),
        payload: { name: 'invitation race' },
      });
      const org = created.json().id as string;
      for (let round = 0; round < 6; round++) {
        const email = `race-${round}@example.com`;
        const invitee = await createUserWithToken(t, { email });
        const invited = await t.app.inject({
          method: 'POST',
          url: `/api/v1/organizations/${org}/invitations`,
          headers: bearer(admin.token),
          payload: { email, role: 'viewer' },
        });
        assert.equal(invited.statusCode, 201, invited.body);
        const id = invited.json().id as string;
        const [accept, decline, revoke] = await Promise.all([
          t.app.inject({ method: 'POST', url: `/api/v1/invitations/${id}/accept`, headers: bearer(invitee.token) }),
          t.app.inject({ method: 'POST', url: `/api/v1/invitations/${id}/decline`, headers: bearer(invitee.token) }),
          t.app.inject({
            method: 'DELETE',
            url: `/api/v1/organizations/${org}/invitations/${id}`,
            headers: bearer(admin.token),
          }),
        ]);
        const statuses = [accept.statusCode, decline.statusCode, revoke.statusCode];
        assert.equal(statuses.filter((s) => s < 300).length, 1, `round ${round}: ${statuses}`);
        assert.equal(statuses.filter((s) => s === 400).length, 2, `round ${round}: ${statuses}`);
        const members = await t.app.inject({
          method: 'GET',
          url: `/api/v1/organizations/${org}/members`,
          headers: bearer(t.adminToken),
        });
        const joined = members.json().some((m: { user: { id: string } }) => m.user.id === invitee.user.id);
        assert.equal(joined, accept.statusCode === 200, `round ${round}: ${statuses}, member: ${joined}`);
        const listed = await t.app.inject({
          method: 'GET',
          url: `/api/v1/organizations/${org}/invitations`,
          headers: bearer(admin.token),
        });
        const status = listed.json().find((i: { id: string }) => i.id === id).status;
        const winner = accept.statusCode === 200 ? 'accepted' : decline.statusCode === 204 ? 'declined' : 'revoked';
        assert.equal(status, winner, `round ${round}: ${statuses}`);
      }
    });
  });
}
