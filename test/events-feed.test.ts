/**
 * A follower of the feed sees every committed event exactly once, in order,
 * while writers on two instances (two connection pools on one PostgreSQL
 * database; one process on SQLite, which has a single writer) commit
 * concurrently, some of them slowly, some rolling back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { operatorPrincipal } from '../src/auth/access.js';
import { loadConfig } from '../src/config.js';
import { type DatabaseHandle, openDatabase } from '../src/db/dialect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { buildServices } from '../src/services.js';
import { engines, freshDatabase, type FreshDatabase } from './helpers.js';

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

for (const engine of engines()) {
  // A minute on PostgreSQL with ROSTER_FEED_TEST_SECONDS=60; CI runs a shorter stretch.
  const seconds = Number(process.env.ROSTER_FEED_TEST_SECONDS ?? (engine === 'postgres' ? 12 : 5));
  describe(`the feed under concurrent writers [${engine}]`, () => {
    let database: FreshDatabase;
    const handles: DatabaseHandle[] = [];
    before(async () => {
      database = await freshDatabase(engine);
      for (let i = 0; i < (engine === 'postgres' ? 2 : 1); i++) {
        handles.push(
          await openDatabase(database.url, { poolSize: 8, ...(database.schema ? { schema: database.schema } : {}) }),
        );
      }
      await migrateToLatest(handles[0]!.db);
    });
    after(async () => {
      for (const handle of handles) await handle.close();
      await database.drop();
    });

    it(`gives a follower every committed event exactly once, in order (${seconds} s of writes)`, async () => {
      const config = loadConfig({ ROSTER_DATABASE_URL: database.url });
      const clock = () => new Date();
      const instances = handles.map((h) => buildServices(h.db, { clock, config }));
      const reader = instances[0]!.events;
      const operator = operatorPrincipal();
      const deadline = Date.now() + seconds * 1000;
      let committed = 0;
      let rolledBack = 0;
      const writer = async (instance: number, n: number) => {
        const { events } = instances[instance]!;
        for (let i = 0; Date.now() < deadline; i++) {
          const slowBefore = Math.random() < 0.3 ? Math.random() * 30 : 0;
          const slowAfter = Math.random() < 0.2 ? Math.random() * 20 : 0;
          const fail = Math.random() < 0.1;
          try {
            await events.transaction(async (tx) => {
              events.record(tx, {
                type: 'user.updated',
                actor: null,
                target: { type: 'user', id: '00000000-0000-7000-8000-000000000000' },
                changes: { writer: [null, `${instance}.${n}.${i}`] },
              });
              // Slow before the events are appended, and slow after (while their lock is held).
              if (slowBefore) await pause(slowBefore);
              if (slowAfter) tx.beforeCommit(() => pause(slowAfter));
              if (fail) tx.beforeCommit(async () => Promise.reject(new Error('rolled back on purpose')));
            });
            committed += 1;
          } catch (error) {
            if ((error as Error).message !== 'rolled back on purpose') throw error;
            rolledBack += 1;
          }
        }
      };
      const seen: string[] = [];
      let after: string | undefined;
      let following = true;
      const follower = (async () => {
        while (following || Date.now() < deadline + 2000) {
          const page = await reader.list(operator, {
            filters: {},
            ...(after ? { after } : {}),
            limit: 500,
            wait: 1,
          });
          for (const event of page) seen.push(event.id);
          if (page.length > 0) after = page.at(-1)!.id;
          else if (!following) break;
        }
      })();
      await Promise.all(instances.flatMap((_, instance) => [0, 1, 2, 3].map((n) => writer(instance, n))));
      following = false;
      await follower;
      const all = await reader.list(operator, { filters: {}, limit: 1000, wait: 0 });
      let everything = all.map((e) => e.id);
      while (all.length > 0 && everything.length % 1000 === 0) {
        const more = await reader.list(operator, { filters: {}, after: everything.at(-1)!, limit: 1000, wait: 0 });
        if (more.length === 0) break;
        everything = everything.concat(more.map((e) => e.id));
      }
      assert.ok(committed > 100, `${committed} commits`);
      assert.ok(rolledBack > 0);
      assert.equal(everything.length, committed, 'no event of a rolled-back transaction');
      assert.equal(new Set(seen).size, seen.length, 'no event twice');
      assert.deepEqual(seen, everything, 'every committed event, in feed order');
    });
  });
}
