/**
 * The webhooks' outbox (API.md 8): the events table, read from each
 * webhook's place in it. Events go out with the webhook's settings of the
 * time they were committed; a disabled webhook queues nothing; every event
 * is queued once, also when two instances queue at the same time; an
 * upgraded database starts each webhook after the events it already queued.
 * The app here runs no delivery worker: the tests queue through the services
 * of "instances" of their own on the same database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/dialect.js';
import { migrateTo, migrateToLatest } from '../src/db/migrate.js';
import { buildServices, type Services } from '../src/services.js';
import {
  bearer,
  createTestApp,
  createUser,
  createUserWithToken,
  engines,
  freshDatabase,
  type TestApp,
} from './helpers.js';

for (const engine of engines()) {
  describe(`the webhooks' outbox [${engine}]`, () => {
    let t: TestApp;
    let instances: Services[];
    before(async () => {
      t = await createTestApp(engine, { ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true' }, { background: false });
      instances = [1, 2].map(() =>
        buildServices(t.handle.db, { clock: t.clock.now, config: t.config, secretKey: t.secretKey }),
      );
    });
    after(async () => t.close());

    const send = (method: string, url: string, token: string, payload?: object) =>
      t.app.inject({ method: method as 'GET', url, headers: bearer(token), ...(payload ? { payload } : {}) });
    const register = async (event_types: string[]) => {
      const response = await send('POST', '/api/v1/webhooks', t.adminToken, {
        url: 'http://127.0.0.1:9/hook',
        event_types,
      });
      assert.equal(response.statusCode, 201, response.body);
      return response.json().id as string;
    };
    /** The events queued for a webhook, oldest first. */
    const queued = async (webhookId: string) => {
      const response = await send('GET', `/api/v1/webhooks/${webhookId}/deliveries?limit=1000`, t.adminToken);
      assert.equal(response.statusCode, 200, response.body);
      return (response.json() as { event_id: string }[]).map((d) => d.event_id).reverse();
    };
    /** The newest event of `type` about `targetId`. */
    const eventOf = async (type: string, targetId: string) => {
      const response = await send('GET', `/api/v1/events?type=${type}&target_id=${targetId}`, t.adminToken);
      return (response.json() as { id: string }[]).at(-1)!.id;
    };
    /** One look of the delivery worker of `instance` (it queues, then claims). */
    const look = (instance: Services) => instance.webhooks.claim(8, 60_000, 1000);

    it('queues each event with the settings the webhook had when it was committed', async () => {
      const hook = await register(['user.updated']);
      const someone = await createUserWithToken(t);
      assert.equal((await send('PATCH', '/api/v1/users/me', someone.token, { name: 'One' })).statusCode, 200);
      const first = await eventOf('user.updated', someone.user.id);
      assert.deepEqual(await queued(hook), [], 'the change itself queues nothing: the worker does');

      // The change of types queues what came before it with the old ones.
      const changed = await send('PATCH', `/api/v1/webhooks/${hook}`, t.adminToken, { event_types: ['user.created'] });
      assert.equal(changed.statusCode, 200, changed.body);
      assert.deepEqual(await queued(hook), [first]);

      const other = await createUser(t);
      assert.equal((await send('PATCH', '/api/v1/users/me', someone.token, { name: 'Two' })).statusCode, 200);
      await look(instances[0]!);
      assert.deepEqual(await queued(hook), [first, await eventOf('user.created', other.id)]);
      await look(instances[0]!);
      assert.equal((await queued(hook)).length, 2, 'a second look queues nothing again');
    });

    it('queues nothing while a webhook is disabled, and from the next event once enabled again', async () => {
      const hook = await register(['user.updated']);
      const someone = await createUserWithToken(t);
      const rename = async (name: string) => {
        assert.equal((await send('PATCH', '/api/v1/users/me', someone.token, { name })).statusCode, 200);
        return eventOf('user.updated', someone.user.id);
      };
      const first = await rename('Before');
      assert.equal((await send('PATCH', `/api/v1/webhooks/${hook}`, t.adminToken, { enabled: false })).statusCode, 200);
      await rename('While disabled');
      await look(instances[0]!);
      assert.deepEqual(await queued(hook), [first]);
      assert.equal((await send('PATCH', `/api/v1/webhooks/${hook}`, t.adminToken, { enabled: true })).statusCode, 200);
      const last = await rename('After');
      await look(instances[0]!);
      assert.deepEqual(await queued(hook), [first, last]);
    });

    it('queues every event once when two instances queue at the same time', async () => {
      const hook = await register(['user.updated']);
      const someone = await createUserWithToken(t);
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 10; i++) {
          assert.equal(
            (await send('PATCH', '/api/v1/users/me', someone.token, { name: `N${round}-${i}` })).statusCode,
            200,
          );
        }
        await Promise.all([look(instances[0]!), look(instances[1]!), look(instances[0]!), look(instances[1]!)]);
      }
      const events = (
        await send('GET', `/api/v1/events?type=user.updated&target_id=${someone.user.id}&limit=1000`, t.adminToken)
      ).json() as { id: string }[];
      assert.equal(events.length, 30);
      assert.deepEqual(
        await queued(hook),
        events.map((e) => e.id),
      );
    });
  });

  describe(`the webhooks' outbox after an upgrade [${engine}]`, () => {
    it('starts each webhook after the newest event, whose deliveries the old outbox already holds', async () => {
      const database = await freshDatabase(engine);
      const handle = await openDatabase(database.url, database.schema ? { schema: database.schema } : {});
      try {
        await migrateTo(handle.db, '0008_device_logins');
        const db = handle.db;
        const yes = engine === 'postgres' ? sql`true` : sql`1`;
        const ids = ['0190a000-0000-7000-8000-000000000001', '0190a000-0000-7000-8000-000000000002'];
        for (const id of ids) {
          await sql`insert into events (id, type, occurred, changes) values (${id}, 'user.updated', '2026-11-27T12:00:00.000Z', '{}')`.execute(
            db,
          );
        }
        await sql`insert into webhooks (id, url, event_types, secret, enabled, version, created, updated)
          values ('0190a000-0000-7000-8000-0000000000aa', 'http://127.0.0.1:9/hook', '["*"]', 'sealed', ${yes}, 1,
                  '2026-11-27T12:00:00.000Z', '2026-11-27T12:00:00.000Z')`.execute(db);
        await migrateToLatest(db);
        const rows = await sql<{ queued_through: string }>`select queued_through from webhooks`.execute(db);
        assert.deepEqual(
          rows.rows.map((r) => r.queued_through),
          [ids[1]],
        );
      } finally {
        await handle.close();
        await database.drop();
      }
    });
  });
}
