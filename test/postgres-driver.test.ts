/**
 * On PostgreSQL the queries compiled once (`compiledOnce`, `compiledPerShape`)
 * run as named prepared statements: parsed and planned once per connection.
 * Other statements are sent as they are. Answers are the same either way.
 * Bulk inserts (seeding) go through COPY, which must keep every value as it
 * was, separators and escapes included (on SQLite: a multi-row insert).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { bulkInsert, openDatabase, type DatabaseHandle } from '../src/db/dialect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { UsersRepository } from '../src/modules/users/users.repository.js';
import { engines, freshDatabase, rawUserRow, type FreshDatabase } from './helpers.js';

if (engines().includes('postgres')) {
  describe('prepared statements [postgres]', () => {
    let database: FreshDatabase;
    let handle: DatabaseHandle;
    before(async () => {
      database = await freshDatabase('postgres');
      // One connection: the prepared statements of a session are visible only to it.
      handle = await openDatabase(database.url, { poolSize: 1, schema: database.schema });
      await migrateToLatest(handle.db);
    });
    after(async () => {
      await handle.close();
      await database.drop();
    });

    const preparedOnConnection = async () =>
      (
        await sql<{
          name: string;
          statement: string;
        }>`select name, statement from pg_prepared_statements where name like 'roster\\_%' order by name`.execute(
          handle.db,
        )
      ).rows;

    it('runs the lookups compiled once as named statements, with the values of each call', async () => {
      const before = await preparedOnConnection();
      const users = new UsersRepository(handle.db);
      const now = new Date().toISOString();
      const ids = [uuidv7(), uuidv7()];
      await users.insert(ids[0]!, { username: 'first', email: 'first@example.com' }, now);
      await users.insert(ids[1]!, { username: 'second', email: 'second@example.com' }, now);
      for (const [i, id] of ids.entries()) {
        assert.equal((await users.findById(id))?.id, id);
        const page = await users.list(
          { kind: 'all' },
          { email: i === 0 ? 'FIRST@example.com' : 'second@EXAMPLE.com' },
          {
            offset: 0,
            limit: 20,
          },
        );
        assert.deepEqual(
          page.map((u) => u.id),
          [id],
        );
      }
      const after = await preparedOnConnection();
      const added = after.filter((s) => !before.some((b) => b.name === s.name));
      assert.equal(added.length, 2, 'the lookup by id and the page by email, each prepared once');
      assert.ok(added.every((s) => /from "users"/.test(s.statement)));
    });

    it('keeps answering when a newer version adds a column meanwhile (a rolling upgrade)', async () => {
      const users = new UsersRepository(handle.db);
      const [first] = await users.list({ kind: 'all' }, { username: 'first' }, { offset: 0, limit: 1 });
      assert.equal((await users.findById(first!.id))?.username, 'first');
      await sql`alter table users add column added_by_a_newer_version text`.execute(handle.db);
      assert.equal((await users.findById(first!.id))?.username, 'first');
      const again = await users.list({ kind: 'all' }, { username: 'FIRST' }, { offset: 0, limit: 1 });
      assert.deepEqual(
        again.map((u) => u.id),
        [first!.id],
      );
    });

    it('sends other statements unprepared', async () => {
      const before = await preparedOnConnection();
      const row = await handle.db
        .selectFrom('users')
        .select('username')
        .where('username', '=', 'first')
        .executeTakeFirst();
      assert.equal(row?.username, 'first');
      assert.deepEqual(await preparedOnConnection(), before);
    });
  });
}

for (const engine of engines()) {
  describe(`bulk inserts [${engine}]`, () => {
    let database: FreshDatabase;
    let handle: DatabaseHandle;
    before(async () => {
      database = await freshDatabase(engine);
      handle = await openDatabase(database.url, database.schema ? { schema: database.schema } : {});
      await migrateToLatest(handle.db);
    });
    after(async () => {
      await handle.close();
      await database.drop();
    });

    it('keeps every value as it was: tabs, newlines, backslashes, \\N, nulls, booleans, JSON', async () => {
      const names = ['tab\there', 'new\nline\r\n', 'back\\slash \\N \\t', '\\N', 'Zoë Ångström 🎉', null];
      const rows = names.map((name, i) => ({
        ...rawUserRow(uuidv7(), `bulk${i}`, i % 2 ? null : `bulk${i}@example.com`),
        name,
        name_lower: name?.toLowerCase() ?? null,
        metadata: JSON.stringify({ note: name, nested: { tab: '\t' } }),
        is_superuser: i === 0,
      }));
      await handle.db.transaction().execute((trx) => bulkInsert(trx, 'users', rows));
      const back = await handle.db
        .selectFrom('users')
        .select(['username', 'email', 'name', 'metadata', 'is_superuser'])
        .where('username', 'like', 'bulk%')
        .orderBy('username')
        .execute();
      assert.deepEqual(
        back.map((r) => ({
          ...r,
          is_superuser: Boolean(r.is_superuser),
          metadata: typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata,
        })),
        rows.map((r) => ({
          username: r.username,
          email: r.email,
          name: r.name,
          metadata: JSON.parse(r.metadata),
          is_superuser: r.is_superuser,
        })),
      );
    });

    it('inserts nothing when one row fails (a duplicate username)', async () => {
      const rows = [rawUserRow(uuidv7(), 'dup-a', null), rawUserRow(uuidv7(), 'bulk0', null)];
      await assert.rejects(handle.db.transaction().execute((trx) => bulkInsert(trx, 'users', rows)));
      const found = await handle.db.selectFrom('users').select('id').where('username', '=', 'dup-a').execute();
      assert.equal(found.length, 0);
    });
  });
}
