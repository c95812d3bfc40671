// Migrating a PostgreSQL schema while other schemas of the same database come and go (other
// apps, other test files): the migrator's look at every schema's tables must not fail because
// one of them was dropped meanwhile.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openDatabase } from '../src/db/dialect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { engines, freshDatabase } from './helpers.js';

const url = process.env.ROSTER_TEST_DATABASE_URL;

// PostgreSQL only (SQLite has one schema per file): registered when the suite runs on PostgreSQL.
for (const _ of engines().filter((engine) => engine === 'postgres'))
  describe('migrations beside other schemas [postgres]', () => {
    it('migrate while other schemas are created and dropped', async () => {
      const churn = new pg.Client({ connectionString: url });
      await churn.connect();
      let stop = false;
      let dropped = 0;
      const churning = (async () => {
        for (let i = 0; !stop; i++) {
          const name = `roster_churn_${process.pid}_${i}`;
          await churn.query(`create schema ${name}`);
          await churn.query(`create table ${name}.t (id serial primary key, a text, b text, c text)`);
          await churn.query(`drop schema ${name} cascade`);
          dropped++;
        }
      })();
      try {
        for (let round = 0; round < 12; round++) {
          const database = await freshDatabase('postgres');
          const handle = await openDatabase(database.processUrl, { poolSize: 2 });
          try {
            const applied = await migrateToLatest(handle.db);
            assert.ok(applied.length > 0);
          } finally {
            await handle.close();
            await database.drop();
          }
        }
      } finally {
        stop = true;
        await churning;
        await churn.end();
      }
      assert.ok(dropped > 12, `other schemas were dropped meanwhile (${dropped})`);
    });
  });
