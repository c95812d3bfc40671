/**
 * `include_total` without filters reads the account count the database keeps
 * (migration 0010) instead of counting the table: it must equal a real count
 * after every way accounts come and go: the API, several rows in one
 * statement, a bulk load, a rollback, concurrent creations, and the pruner's
 * folding of the deltas.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { v7 as uuidv7 } from 'uuid';
import { seedUsers } from '../src/cli/seed.js';
import { bulkInsert } from '../src/db/dialect.js';
import { bearer, createTestApp, createUser, engines, rawUserRow, type TestApp } from './helpers.js';

for (const engine of engines()) {
  describe(`X-Total-Count of every account [${engine}]`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(engine);
    });
    after(() => t.close());

    const total = async () => {
      const response = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users?include_total=true&limit=1',
        headers: bearer(t.adminToken),
      });
      assert.equal(response.statusCode, 200, response.body);
      return Number(response.headers['x-total-count']);
    };
    const counted = async () => {
      const row = await t.handle.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    };
    const agrees = async (when: string) => assert.equal(await total(), await counted(), when);

    it('counts the accounts there were before, and those the API creates and deletes', async () => {
      await agrees('at the start (the internal admin)');
      const a = await createUser(t);
      await createUser(t);
      await agrees('after two creations');
      const deleted = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/users/${a.id}`,
        headers: bearer(t.adminToken),
      });
      assert.equal(deleted.statusCode, 204, deleted.body);
      await agrees('after a deletion');
    });

    it('counts several rows of one statement, a bulk load and a seed', async () => {
      const before = await counted();
      await t.handle.db.transaction().execute((trx) =>
        bulkInsert(
          trx,
          'users',
          [1, 2, 3].map((i) => rawUserRow(uuidv7(), `count-bulk-${i}`, null)),
        ),
      );
      await seedUsers(t.handle, 250, () => undefined);
      assert.equal(await total(), before + 253);
      await t.handle.db.deleteFrom('users').where('username', 'like', 'count-bulk-%').execute();
      await agrees('after deleting three rows in one statement');
    });

    it('counts nothing of a transaction that rolled back', async () => {
      const before = await total();
      await assert.rejects(
        t.handle.db.transaction().execute(async (trx) => {
          await trx
            .insertInto('users')
            .values({ ...rawUserRow(uuidv7(), 'count-rolled-back', null), email_verified: false })
            .execute();
          throw new Error('give up');
        }),
      );
      assert.equal(await total(), before);
      await agrees('after the rollback');
    });

    it('counts concurrent creations, and keeps the total when the deltas are folded', async () => {
      await Promise.all(Array.from({ length: 12 }, () => createUser(t)));
      await agrees('after twelve concurrent creations');
      const rowsBefore = await t.handle.db.selectFrom('user_count').select('delta').execute();
      const totalBefore = await total();
      await t.repos.users.foldCount();
      assert.equal(await total(), totalBefore);
      const rowsAfter = await t.handle.db.selectFrom('user_count').select('delta').execute();
      assert.equal(rowsAfter.length, 1, 'one row after folding');
      if (engine === 'postgres') assert.ok(rowsBefore.length > 1, 'PostgreSQL keeps a delta per statement');
      await createUser(t);
      await agrees('after a creation that follows the folding');
    });
  });
}
