import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { bearer, createTestApp, createUser, createUserWithToken, engines, type TestApp } from './helpers.js';

for (const engine of engines()) {
  describe(`GET /api/v1/users [${engine}]`, () => {
    let t: TestApp;
    let alice: Record<string, any>;
    let bob: Record<string, any>;
    let carol: Record<string, any>;
    let oauthUser: Record<string, any>;

    before(async () => {
      t = await createTestApp(engine);
      t.clock.advance(1);
      alice = await createUser(t, { username: 'alice', email: 'Alice@Example.com', name: 'Alice' });
      t.clock.advance(1);
      bob = await createUser(t, { username: 'bob', email: 'bob@example.com', is_superuser: true });
      t.clock.advance(1);
      carol = await createUser(t, { username: 'carol' });
      t.clock.advance(1);
      await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${carol.id}`,
        headers: bearer(t.adminToken),
        payload: { is_active: false },
      });
      // OAuth2 accounts arrive through single sign-on; the data layer makes one here.
      oauthUser = await t.repos.users.insert(
        uuidv7(),
        {
          username: 'dana@example.org',
          email: 'dana@example.org',
          email_verified: true,
          oauth_provider: 'github',
          oauth_id: '12345',
        },
        t.clock.now().toISOString(),
      );
      // Created later, but with an id that sorts first: the order is by creation, not by id.
      t.clock.advance(1);
      await t.repos.users.insert(
        '00000000-0000-7000-8000-000000000000',
        { username: 'zed' },
        t.clock.now().toISOString(),
      );
    });
    after(() => t.close());

    const list = async (query: string, token = t.adminToken) => {
      const response = await t.app.inject({ method: 'GET', url: `/api/v1/users${query}`, headers: bearer(token) });
      return response;
    };
    const usernames = async (query: string, token = t.adminToken) => {
      const response = await list(query, token);
      assert.equal(response.statusCode, 200, response.body);
      return (response.json() as { username: string }[]).map((u) => u.username);
    };

    it('lists every account for a superuser, in creation order', async () => {
      assert.deepEqual(await usernames(''), ['admin', 'alice', 'bob', 'carol', 'dana@example.org', 'zed']);
    });

    it('returns UserRead objects without secrets', async () => {
      const [admin] = (await list('?username=admin')).json();
      assert.deepEqual(Object.keys(admin).sort(), [
        'avatar_url',
        'company',
        'created',
        'email',
        'email_verified',
        'id',
        'is_active',
        'is_onboarded',
        'is_service_account',
        'is_superuser',
        'job_title',
        'metadata',
        'name',
        'oauth_id',
        'oauth_provider',
        'organization_id',
        'updated',
        'username',
      ]);
      assert.ok(!JSON.stringify(admin).includes('argon2'));
      // Verified: emails set by a superuser or by the provider; nothing without an email.
      const verified = Object.fromEntries(
        (await list(''))
          .json()
          .map((u: { username: string; email_verified: boolean }) => [u.username, u.email_verified]),
      );
      assert.deepEqual(verified, {
        admin: false,
        alice: true,
        bob: true,
        carol: false,
        'dana@example.org': true,
        zed: false,
      });
    });

    it('filters by user_id', async () => {
      assert.deepEqual(await usernames(`?user_id=${bob.id}`), ['bob']);
      assert.deepEqual(await usernames(`?user_id=${uuidv7()}`), []);
    });

    it('filters by email, case-insensitively and exactly', async () => {
      assert.deepEqual(await usernames('?email=alice@example.com'), ['alice']);
      assert.deepEqual(await usernames('?email=ALICE@EXAMPLE.COM'), ['alice']);
      assert.deepEqual(await usernames('?email=alice@example'), []);
    });

    it('filters by oauth_provider and oauth_id', async () => {
      assert.deepEqual(await usernames('?oauth_provider=github'), ['dana@example.org']);
      assert.deepEqual(await usernames('?oauth_id=12345'), ['dana@example.org']);
      assert.deepEqual(await usernames('?oauth_provider=google'), []);
      assert.equal(oauthUser.oauth_provider, 'github');
    });

    it('filters by is_active', async () => {
      assert.deepEqual(await usernames('?is_active=false'), ['carol']);
      assert.deepEqual(await usernames('?is_active=true'), ['admin', 'alice', 'bob', 'dana@example.org', 'zed']);
    });

    it('filters by username, is_superuser and is_service_account', async () => {
      assert.deepEqual(await usernames('?username=ALICE'), ['alice']);
      assert.deepEqual(await usernames('?is_superuser=true'), ['admin', 'bob']);
      assert.deepEqual(await usernames('?is_service_account=true'), []);
      assert.equal((await usernames('?is_service_account=false')).length, 6);
    });

    it('combines filters with AND', async () => {
      assert.deepEqual(await usernames('?is_superuser=true&email=bob@example.com'), ['bob']);
      assert.deepEqual(await usernames('?is_superuser=true&email=alice@example.com'), []);
      assert.deepEqual(await usernames(`?is_active=false&user_id=${alice.id}`), []);
    });

    it('pages with offset and limit in a stable order, each user exactly once', async () => {
      const all = await usernames('');
      const walked: string[] = [];
      for (let offset = 0; offset < all.length + 2; offset += 2)
        walked.push(...(await usernames(`?offset=${offset}&limit=2`)));
      assert.deepEqual(walked, all);
      assert.deepEqual(await usernames('?offset=100'), []);
    });

    it('orders accounts created in the same millisecond by id', async () => {
      const t2 = await createTestApp(engine);
      try {
        const ids = [uuidv7(), uuidv7(), uuidv7()].sort();
        const sameInstant = '2026-11-27T12:00:00.000Z';
        for (const id of [ids[2]!, ids[0]!, ids[1]!]) {
          await t2.repos.users.insert(id, { username: `u-${id}` }, sameInstant);
        }
        const response = await t2.app.inject({
          method: 'GET',
          url: '/api/v1/users?offset=1',
          headers: bearer(t2.adminToken),
        });
        assert.deepEqual(
          response.json().map((u: { id: string }) => u.id),
          ids,
        );
      } finally {
        await t2.close();
      }
    });

    it('rejects out-of-range pagination with 422 naming the query parameter', async () => {
      for (const [query, field, type] of [
        ['?limit=0', 'limit', 'greater_than_equal'],
        ['?limit=1001', 'limit', 'less_than_equal'],
        ['?offset=-1', 'offset', 'greater_than_equal'],
        ['?limit=ten', 'limit', 'int_parsing'],
        ['?is_active=maybe', 'is_active', 'bool_parsing'],
        ['?user_id=42', 'user_id', 'uuid_parsing'],
      ] as const) {
        const response = await list(query);
        assert.equal(response.statusCode, 422, query);
        const [issue] = response.json().detail;
        assert.deepEqual(issue.loc, ['query', field], query);
        assert.equal(issue.type, type, query);
      }
      assert.equal((await usernames('?limit=1000')).length, 6);
      assert.equal((await usernames('?limit=1')).length, 1);
    });

    it('lists every failing query parameter at once', async () => {
      const response = await list('?limit=0&offset=-5&is_active=perhaps');
      assert.equal(response.statusCode, 422);
      assert.deepEqual(
        response
          .json()
          .detail.map((d: { loc: string[] }) => d.loc[1])
          .sort(),
        ['is_active', 'limit', 'offset'],
      );
    });

    it('ignores unknown query parameters', async () => {
      assert.deepEqual(await usernames('?frobnicate=1&username=bob'), ['bob']);
    });

    it('shows a plain user only itself, and filters never reveal other accounts', async () => {
      const { user, token } = await createUserWithToken(t, { email: 'plain@example.com' });
      assert.deepEqual(await usernames('', token), [user.username]);
      assert.deepEqual(await usernames('?email=alice@example.com', token), []);
      assert.deepEqual(await usernames(`?user_id=${alice.id}`, token), []);
      assert.deepEqual(await usernames('?oauth_provider=github', token), []);
      assert.deepEqual(await usernames('?is_superuser=true', token), []);
      assert.deepEqual(await usernames('?email=PLAIN@example.com', token), [user.username]);
    });

    it('searches a case-insensitive prefix of the username, the email or the name', async () => {
      assert.deepEqual(await usernames('?search=ALI'), ['alice']);
      assert.deepEqual(await usernames('?search=alice@exa'), ['alice']);
      assert.deepEqual(await usernames('?search=Bob@'), ['bob']);
      assert.deepEqual(await usernames('?search=dana'), ['dana@example.org']);
      assert.deepEqual(await usernames('?search=lice'), [], 'a prefix, not a substring');
      assert.deepEqual(await usernames('?search=a%25'), [], '% is literal');
      assert.deepEqual(await usernames('?search=_'), [], '_ is literal');
      await createUser(t, { username: 'x-search-1', name: 'Zoë Ångström' });
      assert.deepEqual(await usernames('?search=zoë'), ['x-search-1']);
      assert.deepEqual(await usernames('?search=ZOË%20Å'), ['x-search-1']);
      assert.deepEqual(await usernames('?search=a&is_superuser=false'), ['alice']);
      const tooLong = await list(`?search=${'a'.repeat(256)}`);
      assert.equal(tooLong.statusCode, 422);
      assert.equal((await list('?search=')).statusCode, 422);
    });

    it('walks every page with the cursor of the Link header, each user once, in list order', async () => {
      const all = await usernames('');
      let url: string | undefined = '/api/v1/users?limit=2&is_active=true';
      const walked: string[] = [];
      let pages = 0;
      while (url) {
        const response: LightMyRequestResponse = await t.app.inject({
          method: 'GET',
          url,
          headers: bearer(t.adminToken),
        });
        assert.equal(response.statusCode, 200);
        walked.push(...response.json().map((u: { username: string }) => u.username));
        const link = response.headers.link as string | undefined;
        url = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : undefined;
        if (url) assert.match(url, /is_active=true/, 'the next link keeps the filters');
        pages++;
      }
      assert.deepEqual(
        walked,
        all.filter((u) => u !== 'carol'),
      );
      assert.equal(pages, Math.ceil(walked.length / 2) + (walked.length % 2 === 0 ? 1 : 0));
    });

    it('never repeats or skips a user that exists throughout a cursor walk, while others come and go', async () => {
      const t2 = await createTestApp(engine);
      try {
        const stable: string[] = [];
        for (let i = 0; i < 6; i++) {
          t2.clock.advance(1);
          stable.push((await createUser(t2, { username: `stable-${i}` })).username);
        }
        const doomed = await createUser(t2, { username: 'doomed' });
        let url: string | undefined = '/api/v1/users?limit=2';
        const walked: string[] = [];
        let step = 0;
        while (url) {
          const response: LightMyRequestResponse = await t2.app.inject({
            method: 'GET',
            url,
            headers: bearer(t2.adminToken),
          });
          walked.push(...response.json().map((u: { username: string }) => u.username));
          if (step === 1) {
            await t2.app.inject({
              method: 'DELETE',
              url: `/api/v1/users/${doomed.id}`,
              headers: bearer(t2.adminToken),
            });
            t2.clock.advance(1);
            await createUser(t2, { username: 'newcomer' });
          }
          step++;
          const link = response.headers.link as string | undefined;
          url = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : undefined;
        }
        assert.equal(new Set(walked).size, walked.length, `no repeats: ${walked}`);
        for (const name of ['admin', ...stable]) assert.ok(walked.includes(name), `${name} was not skipped`);
      } finally {
        await t2.close();
      }
    });

    it('refuses a malformed cursor, or a cursor with an offset (422 on query.after)', async () => {
      const first = await list('?limit=1');
      const next = new URLSearchParams(/<[^?]+\?([^>]+)>/.exec(first.headers.link as string)![1]).get('after')!;
      const impossible = Buffer.from('2024-02-30T00:00:00.000Z|01890000-0000-7000-8000-000000000000').toString(
        'base64url',
      );
      const yearZero = Buffer.from('0000-01-01T00:00:00.000Z|01890000-0000-7000-8000-000000000000').toString(
        'base64url',
      );
      for (const query of [
        '?after=garbage',
        `?after=${Buffer.from('x|y').toString('base64url')}`,
        `?after=${impossible}`,
        `?after=${yearZero}`,
        `?after=${next}&offset=1`,
      ]) {
        const response = await list(query);
        assert.equal(response.statusCode, 422, query);
        assert.deepEqual(response.json().detail[0].loc, ['query', 'after']);
      }
      assert.equal((await list(`?after=${next}&offset=0`)).statusCode, 200);
    });

    it('keeps every query parameter in the next link, even after a raw question mark', async () => {
      await createUser(t, { username: 'q-mark', name: 'Q?mark' });
      const response = await list('?search=q?&is_active=true&limit=1');
      assert.equal(response.statusCode, 200);
      assert.deepEqual(
        response.json().map((u: { username: string }) => u.username),
        ['q-mark'],
      );
      const next = /^<([^>]+)>; rel="next"$/.exec(response.headers.link as string)!;
      const kept = new URL(next[1]!, 'http://x').searchParams;
      assert.deepEqual([kept.get('search'), kept.get('is_active'), kept.get('limit')], ['q?', 'true', '1']);
      const page = await list('?is_active=true&limit=1&search=a');
      const link = /^<([^>]+)>; rel="next"$/.exec(page.headers.link as string)![1]!;
      const params = new URL(link, 'http://x').searchParams;
      assert.deepEqual([params.get('is_active'), params.get('limit'), params.get('search')], ['true', '1', 'a']);
    });

    it('sends no Link header on a page that is not full', async () => {
      const response = await list('?limit=1000');
      assert.equal(response.headers.link, undefined);
    });

    it('counts the visible matching users in X-Total-Count with include_total=true', async () => {
      const all = await list('?include_total=true&limit=1');
      assert.equal(Number(all.headers['x-total-count']), (await usernames('?limit=1000')).length);
      assert.equal((await list('?is_superuser=true&include_total=true')).headers['x-total-count'], '2');
      assert.equal((await list('?search=zzz&include_total=true')).headers['x-total-count'], '0');
      assert.equal((await list('')).headers['x-total-count'], undefined);
      const { token } = await createUserWithToken(t);
      assert.equal((await list('?include_total=true', token)).headers['x-total-count'], '1');
    });

    it("filters by organization_id: that organization's service accounts", async () => {
      const org = await t.app.inject({
        method: 'POST',
        url: '/api/v1/organizations',
        headers: bearer(t.adminToken),
        payload: { name: 'list-org' },
      });
      const robot = await t.app.inject({
        method: 'POST',
        url: `/api/v1/organizations/${org.json().id}/service_accounts`,
        headers: bearer(t.adminToken),
        payload: { username: 'list-robot' },
      });
      assert.equal(robot.statusCode, 201);
      assert.deepEqual(await usernames(`?organization_id=${org.json().id}`), ['list-robot']);
      assert.deepEqual(await usernames(`?organization_id=${uuidv7()}`), []);
    });
  });
}
