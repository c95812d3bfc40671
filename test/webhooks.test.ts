/**
 * Webhooks (API.md 8): registration rules, Standard Webhooks signatures,
 * per-endpoint order, retries, 410, manual retry, and a failing endpoint
 * that never delays another.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { bearer, createTestApp, createUserWithToken, engines, type TestApp } from './helpers.js';
import { eventually, startReceiver, type Receiver } from './receiver.js';

for (const engine of engines()) {
  describe(`webhooks [${engine}]`, () => {
    let t: TestApp;
    let strict: TestApp;
    const receivers: Receiver[] = [];
    before(async () => {
      t = await createTestApp(engine, { ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true', ROSTER_WEBHOOK_RETRY_BASE: '1' });
      strict = await createTestApp(engine);
    });
    after(async () => {
      await Promise.all(receivers.map((r) => r.close()));
      await t.close();
      await strict.close();
    });

    const send = (app: TestApp, method: string, url: string, token: string, payload?: unknown) =>
      app.app.inject({
        method: method as 'GET',
        url,
        headers: bearer(token),
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
    const receiver = async (delayMs = 0) => {
      const r = await startReceiver(delayMs);
      receivers.push(r);
      return r;
    };
    const register = async (url: string, event_types: string[] = ['*']) => {
      const response = await send(t, 'POST', '/api/v1/webhooks', t.adminToken, { url, event_types });
      assert.equal(response.statusCode, 201, response.body);
      return response.json() as { id: string; secret: string; enabled: boolean };
    };
    const deliveries = async (id: string) =>
      (await send(t, 'GET', `/api/v1/webhooks/${id}/deliveries`, t.adminToken)).json() as {
        id: string;
        event_id: string;
        status: string;
        attempts: number;
        response_code: number | null;
        last_error: string | null;
      }[];
    /** Moves the test clock on while waiting, so that retries come due. */
    const advancing = (done: () => boolean | Promise<boolean>, ms: number, what: string) =>
      eventually(
        async () => {
          t.clock.advance(5);
          return done();
        },
        ms,
        what,
      );

    it('registers only https (or http on loopback) URLs without credentials, on public addresses unless allowed', async () => {
      const cases: [string, number][] = [
        ['ftp://example.com/hook', 400],
        ['https://user:pass@example.com/hook', 400],
        ['http://example.com/hook', 400],
        ['not a url', 400],
        ['http://127.0.0.1:9/hook', 400],
        ['https://10.1.2.3/hook', 400],
        ['https://[::1]/hook', 400],
        ['https://169.254.169.254/latest', 400],
        ['https://localhost/hook', 400],
      ];
      for (const [url, status] of cases) {
        const response = await send(strict, 'POST', '/api/v1/webhooks', strict.adminToken, { url, event_types: ['*'] });
        assert.equal(response.statusCode, status, `${url}: ${response.body}`);
        assert.equal(response.json().detail[0], 'ValueError');
      }
      assert.equal(
        (await send(strict, 'GET', '/api/v1/webhooks', strict.adminToken)).json().length,
        0,
        'nothing saved',
      );
      const unknownType = await send(t, 'POST', '/api/v1/webhooks', t.adminToken, {
        url: 'http://127.0.0.1:9/hook',
        event_types: ['user.renamed'],
      });
      assert.equal(unknownType.statusCode, 422);
      const other = await createUserWithToken(t);
      for (const [method, url] of [
        ['POST', '/api/v1/webhooks'],
        ['GET', '/api/v1/webhooks'],
      ] as const) {
        const response = await send(t, method, url, other.token, { url: 'http://127.0.0.1:9/h', event_types: ['*'] });
        assert.equal(response.statusCode, 403);
      }
    });

    it('delivers each matching event once, signed (Standard Webhooks), with the secret shown only at creation', async () => {
      const r = await receiver();
      const hook = await register(r.url, ['user.updated']);
      assert.match(hook.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      const read = (await send(t, 'GET', `/api/v1/webhooks/${hook.id}`, t.adminToken)).json();
      assert.equal(read.secret, undefined);
      assert.equal((await send(t, 'GET', '/api/v1/webhooks', t.adminToken)).body.includes(hook.secret), false);
      const someone = await createUserWithToken(t);
      await send(t, 'PATCH', '/api/v1/users/me', someone.token, { name: 'Signed' });
      await eventually(() => r.received.length >= 1, 5000, 'a delivery');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(r.received.length, 1, 'user.created and logins do not match user.updated');
      const [request] = r.received;
      const verified = new Webhook(hook.secret).verify(request!.body, {
        'webhook-id': String(request!.headers['webhook-id']),
        'webhook-timestamp': String(request!.headers['webhook-timestamp']),
        'webhook-signature': String(request!.headers['webhook-signature']),
      }) as { id: string; type: string; target: { id: string } };
      assert.equal(verified.type, 'user.updated');
      assert.equal(verified.target.id, someone.user.id);
      assert.equal(request!.headers['webhook-id'], verified.id);
      assert.throws(() =>
        new Webhook(hook.secret).verify(request!.body.replace('Signed', 'Forged'), {
          'webhook-id': String(request!.headers['webhook-id']),
          'webhook-timestamp': String(request!.headers['webhook-timestamp']),
          'webhook-signature': String(request!.headers['webhook-signature']),
        }),
      );
      await eventually(async () => (await deliveries(hook.id))[0]?.status === 'succeeded', 3000, 'recorded');
      const [delivery] = await deliveries(hook.id);
      assert.equal(delivery!.response_code, 200);
      assert.equal(delivery!.attempts, 1);
      const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
      assert.match(metrics.body, /roster_webhook_deliveries_total\{result="success"\} [1-9]/);
    });

    it('retries a failing receiver with backoff and delivers to one endpoint in event order', async () => {
      const r = await receiver();
      let failures = 3;
      r.respond = () => (failures-- > 0 ? 500 : 200);
      const hook = await register(r.url, ['user.updated']);
      const someone = await createUserWithToken(t);
      for (let i = 0; i < 4; i++) await send(t, 'PATCH', '/api/v1/users/me', someone.token, { name: `Order ${i}` });
      await advancing(
        async () => (await deliveries(hook.id)).filter((d) => d.status === 'succeeded').length === 4,
        20_000,
        'four deliveries',
      );
      const ids = r.received.map((x) => JSON.parse(x.body).id as string);
      // The head of the line is retried until it succeeds; nothing after it goes first.
      const firstSuccess = ids.slice(3);
      assert.deepEqual(firstSuccess, [...firstSuccess].sort());
      assert.equal(new Set(ids.slice(0, 4)).size, 1, 'the failures were all of the first event');
      const first = (await deliveries(hook.id)).at(-1)!;
      assert.equal(first.attempts, 4);
    });

    // The cut is the worker's own timer, the same on both engines: registered once, on SQLite.
    const onSqlite = engine === 'sqlite' ? it : () => undefined;
    onSqlite('keeps other endpoints flowing while one hangs (cut at 10 s, then retried)', async () => {
      const hanging = await receiver();
      hanging.respond = () => 'hang';
      const healthy = await receiver();
      const stuck = await register(hanging.url, ['user.updated']);
      await register(healthy.url, ['user.updated']);
      const someone = await createUserWithToken(t);
      const begun = Date.now();
      await send(t, 'PATCH', '/api/v1/users/me', someone.token, { name: 'Hang' });
      await eventually(() => healthy.received.length >= 1 && hanging.received.length >= 1, 5000, 'both reached');
      assert.ok(Date.now() - begun < 5000);
      await eventually(
        async () => (await deliveries(stuck.id))[0]?.last_error === 'no answer within 10 s',
        15_000,
        'the hanging delivery cut',
      );
      assert.ok(Date.now() - begun >= 9_500);
      const [cut] = await deliveries(stuck.id);
      assert.equal(cut!.status, 'pending', 'to be retried');
    });

    it('changes webhooks while accounts change, without a deadlock or a 5xx', async () => {
      const r = await receiver();
      const hook = await register(r.url, ['user.*']);
      const writers = await Promise.all(Array.from({ length: 4 }, () => createUserWithToken(t)));
      const requests = [
        ...Array.from({ length: 40 }, (_, i) =>
          send(t, 'PATCH', '/api/v1/users/me', writers[i % 4]!.token, { name: `Busy ${i}` }),
        ),
        ...Array.from({ length: 10 }, (_, i) =>
          send(t, 'PATCH', `/api/v1/webhooks/${hook.id}`, t.adminToken, { description: `d${i}` }),
        ),
      ];
      const statuses = (await Promise.all(requests)).map((x) => x.statusCode);
      assert.deepEqual(
        statuses.filter((s) => s !== 200),
        [],
      );
      assert.equal((await send(t, 'DELETE', `/api/v1/webhooks/${hook.id}`, t.adminToken)).statusCode, 204);
    });

    it('disables a webhook whose receiver answers 410, and records it; manual retry sends again', async () => {
      const r = await receiver();
      r.respond = () => 410;
      const hook = await register(r.url, ['user.updated']);
      const someone = await createUserWithToken(t);
      await send(t, 'PATCH', '/api/v1/users/me', someone.token, { name: 'Gone' });
      await eventually(
        async () => (await send(t, 'GET', `/api/v1/webhooks/${hook.id}`, t.adminToken)).json().enabled === false,
        5000,
        'disabled',
      );
      const events = (await send(t, 'GET', `/api/v1/events?target_id=${hook.id}`, t.adminToken)).json();
      const disabled = events.find((e: { type: string }) => e.type === 'webhook.updated');
      assert.equal(disabled.actor.kind, 'system');
      assert.deepEqual(disabled.changes.enabled, [true, false]);
      const [failed] = await deliveries(hook.id);
      assert.equal(failed!.status, 'failed');
      assert.equal(failed!.response_code, 410);
      r.respond = () => 200;
      assert.equal(
        (await send(t, 'PATCH', `/api/v1/webhooks/${hook.id}`, t.adminToken, { enabled: true })).statusCode,
        200,
      );
      const retried = await send(t, 'POST', `/api/v1/webhooks/${hook.id}/deliveries/${failed!.id}/retry`, t.adminToken);
      assert.equal(retried.statusCode, 202);
      await eventually(async () => (await deliveries(hook.id))[0]?.status === 'succeeded', 5000, 'retried');
      assert.equal(r.received.length, 2);
      const unknown = await send(t, 'POST', `/api/v1/webhooks/${hook.id}/deliveries/${hook.id}/retry`, t.adminToken);
      assert.equal(unknown.statusCode, 404);
      assert.equal((await send(t, 'DELETE', `/api/v1/webhooks/${hook.id}`, t.adminToken)).statusCode, 204);
      assert.equal((await send(t, 'GET', `/api/v1/webhooks/${hook.id}`, t.adminToken)).statusCode, 404);
      const lifecycle = (await send(t, 'GET', `/api/v1/events?target_id=${hook.id}`, t.adminToken)).json();
      const types = lifecycle.map((e: { type: string }) => e.type);
      assert.equal(types[0], 'webhook.created');
      assert.equal(types.at(-1), 'webhook.deleted');
      const created = lifecycle[0];
      assert.equal(created.actor.username, 'admin');
      assert.deepEqual(created.changes.url, [null, new URL(r.url).origin], 'the URL by its origin only');
      assert.equal(JSON.stringify(lifecycle).includes('/hook'), false);
    });
  });
}
