/**
 * Webhooks and the feed across real processes: a delivery survives SIGKILL
 * of the server, two instances never send one delivery twice in parallel,
 * and a long poll on one instance wakes on a write to the other.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, PASSWORD, engines, freshDatabase, type FreshDatabase } from './helpers.js';
import { startServer, type Started } from './process.js';
import { eventually, startReceiver, type Receiver } from './receiver.js';

async function call(server: Started, method: string, path: string, token?: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: () => JSON.parse(text), text };
}

async function token(server: Started, username: string, password: string): Promise<string> {
  const response = await call(server, 'POST', '/api/v1/auth/login', undefined, { username, password });
  assert.equal(response.status, 200, response.text);
  return response.json().access_token;
}

for (const engine of engines()) {
  describe(`webhooks and the feed across processes [${engine}]`, () => {
    let database: FreshDatabase;
    let receiver: Receiver;
    const servers: Started[] = [];
    let env: Record<string, string>;
    before(async () => {
      database = await freshDatabase(engine);
      receiver = await startReceiver();
      env = {
        ROSTER_DATABASE_URL: database.processUrl,
        ROSTER_ADMIN_PASSWORD: ADMIN_PASSWORD,
        ROSTER_LOG_LEVEL: 'warn',
        ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true',
        ROSTER_WEBHOOK_RETRY_BASE: '1',
      };
    });
    after(async () => {
      await Promise.all(servers.map((s) => s.stop()));
      await receiver.close();
      await database.drop();
    });
    const start = async () => {
      const server = await startServer(env);
      servers.push(server);
      return server;
    };

    it('delivers after the server is killed (SIGKILL) between the commit and a successful delivery', async () => {
      const first = await start();
      const admin = await token(first, 'admin', ADMIN_PASSWORD);
      receiver.respond = () => 503;
      const hook = await call(first, 'POST', '/api/v1/webhooks', admin, {
        url: receiver.url,
        event_types: ['user.created'],
      });
      assert.equal(hook.status, 201, hook.text);
      const created = await call(first, 'POST', '/api/v1/users', admin, { username: 'survivor', password: PASSWORD });
      assert.equal(created.status, 201);
      await eventually(() => receiver.received.length >= 1, 5000, 'a first (failed) attempt');
      // Killed once the failed attempt is recorded (a delivery killed in flight waits out its lease).
      await eventually(
        async () =>
          (await call(first, 'GET', `/api/v1/webhooks/${hook.json().id}/deliveries`, admin)).json()[0]
            ?.response_code === 503,
        5000,
        'the failed attempt recorded',
      );
      first.child.kill('SIGKILL');
      await new Promise((resolve) => first.child.once('exit', resolve));
      receiver.respond = () => 200;
      const seen = receiver.received.length;
      const second = await start();
      await eventually(() => receiver.received.length > seen, 10_000, 'the delivery after restart');
      const body = JSON.parse(receiver.received.at(-1)!.body);
      assert.equal(body.type, 'user.created');
      assert.equal(body.target.id, created.json().id);
      const admin2 = await token(second, 'admin', ADMIN_PASSWORD);
      const deliveries = (await call(second, 'GET', `/api/v1/webhooks/${hook.json().id}/deliveries`, admin2)).json();
      await eventually(
        async () =>
          (await call(second, 'GET', `/api/v1/webhooks/${hook.json().id}/deliveries`, admin2)).json()[0].status ===
          'succeeded',
        5000,
        'recorded as delivered',
      );
      assert.equal(deliveries.length, 1);
      await call(second, 'DELETE', `/api/v1/webhooks/${hook.json().id}`, admin2);
    });

    it('sends each delivery once with two instances working the outbox, and wakes a long poll from the other instance', async () => {
      const [a, b] = [await start(), await start()];
      const admin = await token(a, 'admin', ADMIN_PASSWORD);
      const slow = await startReceiver(150);
      try {
        const hook = await call(a, 'POST', '/api/v1/webhooks', admin, { url: slow.url, event_types: ['user.created'] });
        assert.equal(hook.status, 201);
        const ids: string[] = [];
        for (let i = 0; i < 12; i++) {
          const server = i % 2 === 0 ? a : b;
          const created = await call(server, 'POST', '/api/v1/users', admin, {
            username: `pair-${i}`,
            password: PASSWORD,
          });
          ids.push(created.json().id);
        }
        await eventually(() => slow.received.length >= 12, 20_000, 'twelve deliveries');
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const delivered = slow.received.map((r) => JSON.parse(r.body).target.id as string);
        assert.deepEqual([...delivered].sort(), [...ids].sort(), 'each event once');
        assert.equal(slow.maxInFlight(), 1, 'one endpoint, one delivery at a time, in order');
        assert.deepEqual(delivered, ids, 'in event order');

        const last = (await call(a, 'GET', '/api/v1/events?limit=1000', admin)).json().at(-1).id;
        const begun = Date.now();
        const waiting = call(a, 'GET', `/api/v1/events?after=${last}&wait=20`, admin);
        await new Promise((resolve) => setTimeout(resolve, 500));
        const wrote = Date.now();
        await call(b, 'POST', '/api/v1/users', admin, { username: 'wake-up', password: PASSWORD });
        const answered = await waiting;
        assert.equal(answered.json()[0].type, 'user.created');
        assert.ok(Date.now() - wrote < 1500, `woke ${Date.now() - wrote} ms after the other instance's write`);
        assert.ok(Date.now() - begun < 5000);
      } finally {
        await slow.close();
      }
    });
  });
}
