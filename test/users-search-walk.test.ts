/**
 * `search` answers the same whichever way a page is found (API.md 4.1): a prefix
 * that many keys share walks creation order, a rarer one sorts its index
 * ranges. Every answer here is compared with the accounts filtered and
 * ordered in JavaScript, on both engines.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { seedUsers } from '../src/cli/seed.js';
import { encodeCursor } from '../src/http/pagination.js';
import { searchWalkThreshold } from '../src/modules/users/users.repository.js';
import { bearer, createTestApp, engines, type TestApp } from './helpers.js';

const SEEDED = 3000;

interface Account {
  id: string;
  username: string;
  email: string | null;
  name: string | null;
  created: string;
  is_active: boolean;
}

for (const engine of engines()) {
  describe(`GET /api/v1/users?search= on ${SEEDED.toLocaleString('en')} accounts [${engine}]`, () => {
    let t: TestApp;
    let everyone: Account[];

    before(async () => {
      t = await createTestApp(engine);
      await seedUsers(t.handle, SEEDED, () => undefined);
      everyone = [];
      let after = '';
      for (;;) {
        const response = await t.app.inject({
          method: 'GET',
          url: `/api/v1/users?limit=1000${after && `&after=${after}`}`,
          headers: bearer(t.adminToken),
        });
        assert.equal(response.statusCode, 200, response.body);
        const page = response.json() as Account[];
        everyone.push(...page);
        if (page.length < 1000) break;
        const last = page.at(-1)!;
        after = encodeCursor({ created: last.created, id: last.id });
      }
      assert.equal(everyone.length, SEEDED + 1, 'the seeded accounts and the admin');
    });
    after(() => t.close());

    /** What a search must answer: every account with a key starting with the prefix, in list order. */
    const expected = (prefix: string, keep: (a: Account) => boolean = () => true) =>
      everyone.filter(
        (a) => keep(a) && [a.username, a.email, a.name].some((k) => k?.toLowerCase().startsWith(prefix.toLowerCase())),
      );
    const matchesOf = (prefix: string) => expected(prefix).length;
    /** How many keys (usernames, emails, names) start with the prefix: what decides the way. */
    const keysOf = (prefix: string) =>
      everyone
        .flatMap((a) => [a.username, a.email, a.name])
        .filter((k) => k?.toLowerCase().startsWith(prefix.toLowerCase())).length;
    const walks = (prefix: string, offset: number, limit: number) =>
      keysOf(prefix) >= searchWalkThreshold({ offset, limit }, everyone.length);
    const search = async (query: string) => {
      const response = await t.app.inject({
        method: 'GET',
        url: `/api/v1/users?${query}`,
        headers: bearer(t.adminToken),
      });
      assert.equal(response.statusCode, 200, response.body);
      return (response.json() as Account[]).map((a) => a.username);
    };
    const names = (accounts: Account[]) => accounts.map((a) => a.username);

    it('a dense prefix (more matching keys than the walk threshold) is walked in creation order', async () => {
      // Every seeded username and email starts with "u": far past the threshold of a 20-row page.
      assert.ok(walks('u', 0, 20) && walks('u', 10, 5) && walks('u', 2000, 100) && walks('user2', 0, 20));
      assert.deepEqual(await search('search=u&limit=20'), names(expected('u').slice(0, 20)));
      assert.deepEqual(await search('search=U&limit=5&offset=10'), names(expected('u').slice(10, 15)));
      const cursorAt = expected('u')[1234]!;
      assert.deepEqual(
        await search(`search=u&limit=20&after=${encodeCursor({ created: cursorAt.created, id: cursorAt.id })}`),
        names(expected('u').slice(1235, 1255)),
      );
      assert.deepEqual(
        await search('search=u&is_active=false&limit=20'),
        names(expected('u', (a) => !a.is_active).slice(0, 20)),
      );
      assert.deepEqual(
        await search('search=user2&limit=20&is_active=true'),
        names(expected('user2', (a) => a.is_active).slice(0, 20)),
      );
    });

    it('a rarer prefix sorts its index ranges, and gives the same answers', async () => {
      const prefixes = ['user123', 'ava', 'ava a', 'Zoe Z', 'user2999', 'nobody', 'a', 'ADM'];
      assert.ok(prefixes.every((prefix) => !walks(prefix, 0, 20)));
      for (const prefix of prefixes) {
        assert.deepEqual(
          await search(`search=${encodeURIComponent(prefix)}&limit=20`),
          names(expected(prefix).slice(0, 20)),
          prefix,
        );
      }
      assert.deepEqual(await search('search=ava&limit=20&offset=20'), names(expected('ava').slice(20, 40)));
    });

    it('counts the same matches whichever way the page was found', async () => {
      const response = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users?search=u&include_total=true&limit=3',
        headers: bearer(t.adminToken),
      });
      assert.equal(response.statusCode, 200);
      assert.equal(Number(response.headers['x-total-count']), matchesOf('u'));
      assert.deepEqual(
        (response.json() as Account[]).map((a) => a.username),
        names(expected('u').slice(0, 3)),
      );
    });
  });
}
