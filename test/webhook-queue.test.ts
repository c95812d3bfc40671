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
import { randomUUID } from 'node:crypto';
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
    /** One look of the delivery worker of `instance` (it claims, and queues). */
    const look = (instance: Services, limit = 8, busy: ReadonlySet<string> = new Set()) =>
      instance.webhooks.claim(limit, 60_000, 1000, busy);
    const rename = async (token: string, name: string) =>
      assert.equal((await send('PATCH', '/api/v1/users/me', token, { name })).statusCode, 200);

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
      const claimed: { webhookId: string; jobs: { delivery: { id: string } }[] }[] = [];
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 10; i++) {
          assert.equal(
            (await send('PATCH', '/api/v1/users/me', someone.token, { name: `N${round}-${i}` })).statusCode,
            200,
          );
        }
        const looks = [look(instances[0]!), look(instances[1]!), look(instances[0]!), look(instances[1]!)];
        for (const batches of await Promise.all(looks)) claimed.push(...batches.filter((b) => b.webhookId === hook));
      }
      // Its first batch is still in flight (never finished here): no other look took a second one.
      assert.equal(claimed.length, 1, 'one batch of the webhook in flight at a time');
      const ids = claimed.flatMap((b) => b.jobs.map((j) => j.delivery.id));
      assert.equal(new Set(ids).size, ids.length);
      const events = (
        await send('GET', `/api/v1/events?type=user.updated&target_id=${someone.user.id}&limit=1000`, t.adminToken)
      ).json() as { id: string }[];
      assert.equal(events.length, 30);
      assert.deepEqual(
        await queued(hook),
        events.map((e) => e.id),
      );
    });

    it('claims no new delivery of a webhook while an older one waits for its retry', async () => {
      const hook = await register(['user.updated']);
      const someone = await createUserWithToken(t);
      await rename(someone.token, 'First');
      const [batch] = (await look(instances[0]!)).filter((b) => b.webhookId === hook);
      assert.equal(batch?.jobs.length, 1);
      await instances[0]!.webhooks.finish(batch!.jobs[0]!.delivery, {
        kind: 'failed',
        responseCode: 500,
        error: 'the receiver answered 500',
      });
      await rename(someone.token, 'Second');
      const second = await eventOf('user.updated', someone.user.id);
      assert.deepEqual(
        (await look(instances[0]!)).filter((b) => b.webhookId === hook),
        [],
      );
      const deliveries = (await send('GET', `/api/v1/webhooks/${hook}/deliveries`, t.adminToken)).json() as {
        event_id: string;
        status: string;
        in_flight: boolean;
      }[];
      assert.deepEqual(
        deliveries.map((d) => [d.event_id === second, d.status, d.in_flight]),
        [
          [true, 'pending', false],
          [false, 'pending', false],
        ],
      );
    });

    it('gives a free slot to the webhook that waited longest, before new events of another', async () => {
      const hooks = [
        await register(['user.updated']),
        await register(['user.updated']),
        await register(['user.updated']),
      ];
      const someone = await createUserWithToken(t);
      await rename(someone.token, 'Slots 1');
      const first = (await look(instances[0]!, 2)).filter((b) => hooks.includes(b.webhookId));
      assert.equal(first.length, 2, 'two slots, two of the three webhooks');
      const waiting = hooks.find((id) => !first.some((b) => b.webhookId === id))!;
      const [done, still] = first;
      await instances[0]!.webhooks.succeeded(
        done!.jobs.map((j) => j.delivery),
        200,
      );
      await rename(someone.token, 'Slots 2');
      const next = await look(instances[0]!, 1, new Set([still!.webhookId]));
      assert.deepEqual(
        next.map((b) => b.webhookId),
        [waiting],
      );
    });

    it('starts a webhook that an older version registered at its creation, and queues nothing that version queued', async () => {
      const someone = await createUserWithToken(t);
      await rename(someone.token, 'Before the webhook');
      const hook = await register(['user.updated']);
      // As an older version leaves it during a rolling upgrade: no place, and the delivery of an
      // event queued in the event's own transaction.
      await sql`update webhooks set queued_through = null where id = ${hook}`.execute(t.handle.db);
      await rename(someone.token, 'Queued by the older version');
      const queuedByOld = await eventOf('user.updated', someone.user.id);
      const now = t.clock.now().toISOString();
      await sql`insert into webhook_deliveries (id, webhook_id, event_id, status, attempts, next_attempt, created, updated)
        values (${randomUUID()}, ${hook}, ${queuedByOld}, 'pending', 0, ${now}, ${now}, ${now})`.execute(t.handle.db);
      await rename(someone.token, 'After');
      const after = await eventOf('user.updated', someone.user.id);
      await look(instances[0]!);
      assert.deepEqual(await queued(hook), [queuedByOld, after]);
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
