/**
 * The audit log (API.md 7): every change writes its event in its own
 * transaction, with actor, target, organization and changes; refused
 * requests write none; each caller sees its slice; the feed filters, pages
 * and long-polls.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EVENT_TYPES } from '../src/domain/events.js';
import { buildServices } from '../src/services.js';
import {
  ADMIN_PASSWORD,
  PASSWORD,
  bearer,
  createTestApp,
  createUserWithToken,
  engines,
  login,
  type TestApp,
} from './helpers.js';

type Event = {
  id: string;
  type: string;
  occurred: string;
  actor: { id: string; username: string; kind: string } | null;
  target: { type: string; id: string } | null;
  organization_id: string | null;
  changes: Record<string, [unknown, unknown]>;
  request: { id: string; ip: string; user_agent: string | null } | null;
};

for (const engine of engines()) {
  describe(`audit events [${engine}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(engine);
    });
    after(() => t.close());

    const send = (method: string, url: string, token: string, payload?: unknown, headers: object = {}) =>
      t.app.inject({
        method: method as 'GET',
        url,
        headers: { ...bearer(token), ...headers },
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
    const feed = async (query = '', token = t.adminToken): Promise<Event[]> => {
      const response = await send('GET', `/api/v1/events?limit=1000${query}`, token);
      assert.equal(response.statusCode, 200, response.body);
      return response.json();
    };
    const lastId = async () => (await feed()).at(-1)?.id;
    const since = async (after: string | undefined, token = t.adminToken) =>
      feed(after ? `&after=${after}` : '', token);

    it('records each change with its actor, target, organization, changes and request', async () => {
      const start = await lastId();
      const alice = await createUserWithToken(t, { username: `alice-${engine}` });
      await send('PATCH', `/api/v1/users/${alice.user.id}`, t.adminToken, { name: 'Alice', is_active: true });
      await send(
        'PATCH',
        '/api/v1/users/me',
        alice.token,
        { password: 'new-horse-battery-9', current_password: PASSWORD },
        { 'user-agent': 'roster-test/1' },
      );
      const org = (await send('POST', '/api/v1/organizations', alice.token, { name: `ev-org-${engine}` })).json();
      const ws = (
        await send('POST', `/api/v1/organizations/${org.id}/workspaces`, alice.token, { name: 'ev-ws' })
      ).json();
      await send('PATCH', `/api/v1/workspaces/${ws.id}`, alice.token, { description: 'described' });
      await send('PUT', `/api/v1/workspaces/${ws.id}/members/${alice.user.id}`, alice.token, { role: 'editor' });
      await send('DELETE', `/api/v1/workspaces/${ws.id}/members/${alice.user.id}`, alice.token);
      const sa = (
        await send('POST', `/api/v1/organizations/${org.id}/service_accounts`, alice.token, {
          username: `ev-robot-${engine}`,
        })
      ).json();
      const key = (await send('POST', `/api/v1/users/${sa.id}/api_keys`, alice.token, { name: 'ci' })).json();
      await send('DELETE', `/api/v1/users/${sa.id}/api_keys/${key.id}`, alice.token);
      const bob = await createUserWithToken(t, { username: `bob-${engine}` });
      const invitation = (
        await send('POST', `/api/v1/organizations/${org.id}/invitations`, t.adminToken, {
          user_id: bob.user.id,
          role: 'viewer',
        })
      ).json();
      assert.ok(invitation.id, JSON.stringify(invitation));
      await send('POST', `/api/v1/invitations/${invitation.id}/accept`, bob.token);
      await send('PUT', `/api/v1/organizations/${org.id}/members/${bob.user.id}`, alice.token, { role: 'editor' });
      await send('DELETE', `/api/v1/organizations/${org.id}/members/${bob.user.id}`, alice.token);
      await send('POST', '/api/v1/auth/logout', bob.token);
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: `Bob-${engine}`, password: 'wrong-password' },
      });
      await send('DELETE', `/api/v1/workspaces/${ws.id}`, alice.token);
      await send('DELETE', `/api/v1/organizations/${org.id}`, alice.token);

      const events = await since(start);
      const one = (type: string, target?: string) => {
        const found = events.filter((e) => e.type === type && (target === undefined || e.target?.id === target));
        assert.equal(found.length, 1, `${type}: ${JSON.stringify(events.map((e) => e.type))}`);
        return found[0]!;
      };
      const adminActor = (e: Event) => assert.equal(e.actor?.username, 'admin');
      const created = one('user.created', alice.user.id);
      adminActor(created);
      assert.deepEqual(created.changes.username, [null, alice.user.username]);
      assert.equal(created.changes.password, undefined, 'no password in a created event');
      assert.ok(created.request?.id, 'the request is recorded');
      const updated = one('user.updated', alice.user.id);
      assert.deepEqual(updated.changes, { name: [null, 'Alice'] }, 'only the fields that changed');
      const password = one('user.password_changed', alice.user.id);
      assert.deepEqual(password.actor, { id: alice.user.id, username: alice.user.username, kind: 'user' });
      assert.deepEqual(password.changes.password, ['[redacted]', '[redacted]']);
      assert.equal(password.request?.user_agent, 'roster-test/1');
      assert.equal(one('user.login_succeeded', alice.user.id).actor?.id, alice.user.id);
      const orgCreated = one('organization.created', org.id);
      assert.equal(orgCreated.organization_id, org.id);
      assert.deepEqual(orgCreated.changes.name, [null, org.name]);
      assert.equal(one('workspace.created', ws.id).organization_id, org.id);
      assert.deepEqual(one('workspace.updated', ws.id).changes, { description: [null, 'described'] });
      const wsAdded = one('workspace.member_added', alice.user.id);
      assert.deepEqual(wsAdded.changes, { workspace_id: [null, ws.id], role: [null, 'editor'] });
      assert.deepEqual(one('workspace.member_removed', alice.user.id).changes.role, ['editor', null]);
      assert.equal(one('user.created', sa.id).organization_id, org.id);
      const keyCreated = one('api_key.created', key.id);
      assert.equal(keyCreated.organization_id, org.id);
      assert.deepEqual(keyCreated.changes.name, [null, 'ci']);
      one('api_key.deleted', key.id);
      one('invitation.created', invitation.id);
      const accepted = one('invitation.accepted', invitation.id);
      assert.equal(accepted.actor?.id, bob.user.id);
      assert.deepEqual(one('organization.member_added', bob.user.id).changes, { role: [null, 'viewer'] });
      assert.deepEqual(one('organization.member_updated', bob.user.id).changes, { role: ['viewer', 'editor'] });
      assert.deepEqual(one('organization.member_removed', bob.user.id).changes, { role: ['editor', null] });
      assert.equal(one('user.logged_out', bob.user.id).actor?.id, bob.user.id);
      const failed = one('user.login_failed', bob.user.id);
      assert.equal(failed.actor, null);
      assert.match(String(failed.changes.attempted_name_hash?.[1]), /^[A-Za-z0-9_-]{43}$/);
      one('workspace.deleted', ws.id);
      one('user.deleted', sa.id);
      one('organization.deleted', org.id);
      // Oldest first, ids increasing.
      assert.deepEqual(
        events.map((e) => e.id),
        [...events.map((e) => e.id)].sort(),
      );
      // Secrets never appear.
      const text = JSON.stringify(events);
      for (const secret of [PASSWORD, 'new-horse-battery-9', key.key, alice.token, bob.token, '$argon2']) {
        assert.equal(text.includes(secret), false, `an event shows ${secret.slice(0, 8)}...`);
      }
      assert.equal(text.includes(`Bob-${engine}`), false, 'the name as typed never appears');
    });

    it('records cleared failed logins, declined and revoked invitations, and webhooks created and deleted', async () => {
      const start = await lastId();
      const gina = await createUserWithToken(t, { email: `gina-${engine}@example.com` });
      const cleared = await send('DELETE', `/api/v1/users/${gina.user.id}/login_failures`, t.adminToken);
      assert.equal(cleared.statusCode, 204, cleared.body);
      const org = (await send('POST', '/api/v1/organizations', gina.token, { name: `more-${engine}` })).json();
      const invite = async (email: string) =>
        (
          await send('POST', `/api/v1/organizations/${org.id}/invitations`, gina.token, { email, role: 'viewer' })
        ).json();
      const hank = await createUserWithToken(t, { email: `hank-${engine}@example.com` });
      const declined = await invite(`hank-${engine}@example.com`);
      assert.equal((await send('POST', `/api/v1/invitations/${declined.id}/decline`, hank.token)).statusCode, 204);
      const revoked = await invite(`nobody-${engine}@example.com`);
      const revoking = await send('DELETE', `/api/v1/organizations/${org.id}/invitations/${revoked.id}`, gina.token);
      assert.equal(revoking.statusCode, 204, revoking.body);
      const hook = await send('POST', '/api/v1/webhooks', t.adminToken, {
        url: 'https://hooks.example.com/T0KEN/secret-path',
        event_types: ['user.*'],
      });
      assert.equal(hook.statusCode, 400, 'no DNS here: the host does not resolve');
      const events = await since(start);
      const of = (type: string) => events.filter((e) => e.type === type);
      assert.equal(of('user.login_failures_cleared')[0]?.target?.id, gina.user.id);
      assert.equal(of('user.login_failures_cleared')[0]?.actor?.username, 'admin');
      assert.deepEqual(of('invitation.declined')[0]?.changes, { status: ['pending', 'declined'] });
      assert.equal(of('invitation.declined')[0]?.actor?.id, hank.user.id);
      assert.deepEqual(of('invitation.revoked')[0]?.changes, { status: ['pending', 'revoked'] });
      assert.equal(of('invitation.revoked')[0]?.organization_id, org.id);
      assert.equal(of('webhook.created').length, 0, 'a refused webhook records nothing');
    });

    it('records a failed login of an unknown name with no target and the name only hashed', async () => {
      const start = await lastId();
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'no-such-name', password: 'x-wrong-password' },
      });
      const [event] = await since(start);
      assert.equal(event?.type, 'user.login_failed');
      assert.equal(event.target, null);
      assert.equal(JSON.stringify(event).includes('no-such-name'), false);
    });

    it('writes no event for a refused or failed change', async () => {
      const carol = await createUserWithToken(t);
      const dave = await createUserWithToken(t);
      const start = await lastId();
      const refused = [
        await send('PATCH', `/api/v1/users/${dave.user.id}`, carol.token, { name: 'not yours' }),
        await send('DELETE', `/api/v1/users/${dave.user.id}`, carol.token),
        await send('POST', '/api/v1/users', carol.token, { username: 'nope', password: PASSWORD }),
        await send('PATCH', '/api/v1/users/me', carol.token, { username: dave.user.username }),
        await send('PATCH', '/api/v1/users/me', carol.token, { is_superuser: true }),
        await send('POST', '/api/v1/webhooks', carol.token, { url: 'https://example.com/h', event_types: ['*'] }),
      ];
      assert.deepEqual(
        refused.map((r) => r.statusCode),
        [403, 403, 403, 409, 403, 403],
      );
      assert.deepEqual(await since(start), []);
    });

    it('shows superusers everything, organization admins their organizations, everyone else its own events', async () => {
      const owner = await createUserWithToken(t);
      const member = await createUserWithToken(t);
      const stranger = await createUserWithToken(t);
      const org = (await send('POST', '/api/v1/organizations', owner.token, { name: `vis-${engine}` })).json();
      await send('PUT', `/api/v1/organizations/${org.id}/members/${member.user.id}`, t.adminToken, { role: 'viewer' });
      await send('PATCH', '/api/v1/users/me', member.token, { name: 'Member' });
      await send('PATCH', '/api/v1/users/me', stranger.token, { name: 'Stranger' });
      const ofOwner = await feed('', owner.token);
      assert.ok(ofOwner.some((e) => e.type === 'organization.member_added' && e.target?.id === member.user.id));
      assert.ok(
        ofOwner.every(
          (e) => e.organization_id === org.id || e.actor?.id === owner.user.id || e.target?.id === owner.user.id,
        ),
      );
      assert.equal(
        ofOwner.some((e) => e.target?.id === stranger.user.id),
        false,
      );
      const ofMember = await feed('', member.token);
      assert.ok(ofMember.length > 0);
      assert.ok(
        ofMember.every((e) => e.actor?.id === member.user.id || e.target?.id === member.user.id),
        'a viewer is not an admin',
      );
      const ofStranger = await feed('', stranger.token);
      assert.ok(ofStranger.every((e) => e.actor?.id === stranger.user.id || e.target?.id === stranger.user.id));
      assert.ok(
        (await feed()).some((e) => e.target?.id === stranger.user.id),
        'superusers see every event',
      );
    });

    it('filters by type (prefixes, repeated or comma separated), actor, target, organization and time, and pages with Link', async () => {
      const erin = await createUserWithToken(t);
      const start = await lastId();
      for (let i = 0; i < 3; i++) await send('PATCH', '/api/v1/users/me', erin.token, { name: `Erin ${i}` });
      const org = (await send('POST', '/api/v1/organizations', erin.token, { name: `filters-${engine}` })).json();
      const all = await since(start);
      const typesOf = (events: Event[]) => events.map((e) => e.type);
      assert.deepEqual(typesOf(await feed(`&after=${start}&type=user.*`)), [
        'user.updated',
        'user.updated',
        'user.updated',
      ]);
      assert.deepEqual(typesOf(await feed(`&after=${start}&type=organization.created,organization.member_added`)), [
        'organization.created',
        'organization.member_added',
      ]);
      assert.deepEqual(typesOf(await feed(`&after=${start}&type=organization.created&type=user.updated`)).length, 4);
      assert.equal((await feed(`&after=${start}&actor_id=${erin.user.id}`)).length, all.length);
      assert.equal((await feed(`&after=${start}&target_id=${org.id}`)).length, 1);
      assert.equal((await feed(`&after=${start}&organization_id=${org.id}`)).length, 2);
      assert.equal((await feed(`&after=${start}&until=2000-01-01T00:00:00Z`)).length, 0);
      assert.equal((await feed(`&after=${start}&since=2000-01-01T00:00:00%2B02:00`)).length, all.length);
      const page = await send('GET', `/api/v1/events?after=${start}&limit=2`, t.adminToken);
      assert.equal(page.json().length, 2);
      const link = String(page.headers.link);
      assert.match(link, /rel="next"/);
      const next = await send('GET', /<([^>]+)>/.exec(link)![1]!, t.adminToken);
      assert.deepEqual(next.json()[0].id, all[2]!.id);
      for (const bad of [
        'type=User',
        'type=user.renamed',
        'since=0000-01-01T00:00:00Z',
        'until=9999-12-31T23:59:59-23:59',
        'after=nope',
        'limit=0',
        'limit=1001',
        'wait=31',
        'since=yesterday',
        'actor_id=1',
      ]) {
        assert.equal((await send('GET', `/api/v1/events?${bad}`, t.adminToken)).statusCode, 422, bad);
      }
      // Many patterns, repeated: answered, not a statement too large for the engine.
      const many = `type=${[...EVENT_TYPES, 'user.*', 'organization.*', '*'].join(',')}&${Array.from({ length: 49 }, () => 'type=user.*,workspace.*').join('&')}`;
      assert.equal((await send('GET', `/api/v1/events?${many}`, t.adminToken)).statusCode, 200);
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/events' })).statusCode, 401);
    });

    it('long-polls: wait answers as soon as an event commits, and empty after the wait', async () => {
      const frank = await createUserWithToken(t);
      const start = await lastId();
      const begun = Date.now();
      const waiting = send('GET', `/api/v1/events?after=${start}&wait=20`, frank.token);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await send('PATCH', '/api/v1/users/me', frank.token, { name: 'Frank' });
      const answered = await waiting;
      assert.equal(answered.json()[0].type, 'user.updated');
      assert.ok(Date.now() - begun < 5000, 'woken by the commit, not by the timeout');
      const last = answered.json()[0].id;
      const quiet = Date.now();
      const empty = await send('GET', `/api/v1/events?after=${last}&wait=1`, frank.token);
      assert.deepEqual(empty.json(), []);
      assert.ok(Date.now() - quiet >= 900, 'waited for the time asked');
    });

    it('prunes events past the retention, in batches, and keeps the rest', async () => {
      const services = buildServices(t.handle.db, { clock: t.clock.now, config: t.config });
      const before = await feed();
      t.clock.advance(400 * 86_400);
      t.adminToken = await login(t.app, 'admin', ADMIN_PASSWORD);
      const grace = await createUserWithToken(t);
      const pruned = await services.events.prune(365);
      assert.equal(pruned, before.length);
      const left = await feed();
      assert.ok(
        left.length > 0 &&
          left.every(
            (e) => e.actor?.id === grace.user.id || e.target?.id === grace.user.id || e.actor?.username === 'admin',
          ),
      );
      assert.ok(left.every((e) => Date.parse(e.occurred) >= Date.parse(before.at(-1)!.occurred)));
    });

    it('records command-line changes with actor kind cli', async () => {
      const { users } = buildServices(t.handle.db, { clock: t.clock.now, config: t.config });
      const { operatorPrincipal } = await import('../src/auth/access.js');
      const target = await createUserWithToken(t);
      const start = await lastId();
      await users.update(operatorPrincipal(), target.user.id, { is_active: false });
      const [event] = await since(start);
      assert.equal(event?.type, 'user.updated');
      assert.equal(event.actor?.kind, 'cli');
      assert.deepEqual(event.changes.is_active, [true, false]);
      assert.equal(event.request, null);
    });
  });
}
