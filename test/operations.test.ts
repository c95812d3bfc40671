/**
 * Operations over HTTP (API.md 1.2 and 9), on both engines: request ids,
 * log lines (request id, account id, redacted URLs), security headers,
 * CORS, probes, `/metrics`, and absolute URLs that never trust `Host`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { ADMIN_PASSWORD, bearer, createTestApp, createUser, engines, type TestApp } from './helpers.js';

/** A pino destination that keeps every line. */
function capture() {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

const METRICS_TOKEN = 'metrics-token-0123456789';

for (const engine of engines()) {
  describe(`operations (${engine})`, () => {
    let t: TestApp;
    const logs = capture();
    before(async () => {
      t = await createTestApp(engine, { ROSTER_LOG_LEVEL: 'info' }, { logger: { stream: logs.stream } });
    });
    after(async () => t.close());

    describe('request ids', () => {
      it('every response carries a generated X-Request-Id, errors included', async () => {
        for (const url of ['/health', '/api/v1/users', '/no/such/route']) {
          const response = await t.app.inject({ method: 'GET', url });
          assert.match(String(response.headers['x-request-id']), /^[0-9a-f-]{36}$/, url);
        }
        const a = await t.app.inject({ method: 'GET', url: '/health' });
        const b = await t.app.inject({ method: 'GET', url: '/health' });
        assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
      });

      it('keeps a well-formed incoming id and replaces a malformed one', async () => {
        const kept = await t.app.inject({
          method: 'GET',
          url: '/health',
          headers: { 'x-request-id': 'trace-1.2_3-abc' },
        });
        assert.equal(kept.headers['x-request-id'], 'trace-1.2_3-abc');
        for (const bad of ['a'.repeat(129), 'has space', 'semi;colon', '<script>']) {
          const replaced = await t.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': bad } });
          assert.match(String(replaced.headers['x-request-id']), /^[0-9a-f-]{36}$/, bad);
        }
      });
    });

    describe('logs', () => {
      it('every line of a request carries its id, and the account id once the caller is known', async () => {
        const response = await t.app.inject({
          method: 'GET',
          url: '/api/v1/users/me',
          headers: { ...bearer(t.adminToken), 'x-request-id': 'log-check-1' },
        });
        const me = response.json();
        const lines = logs.lines.filter((line) => line.request_id === 'log-check-1');
        assert.ok(lines.length >= 2, 'incoming and completed lines');
        const completed = lines.find((line) => line.msg === 'request completed');
        assert.equal(completed?.account_id, me.id);
        assert.ok(!JSON.stringify(lines).includes(t.adminToken), 'the token is not logged');
        // The binding is the request's own: the next request's lines name no account.
        await t.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'log-check-1b' } });
        const next = logs.lines.filter((line) => line.request_id === 'log-check-1b');
        assert.ok(next.length >= 2);
        assert.ok(next.every((line) => line.account_id === undefined));
      });

      it('never writes the values of code, state, access_token, token, password or key to a logged URL', async () => {
        const secrets = ['code', 'state', 'access_token', 'token', 'password', 'key'].map(
          (name, i) => [name, `secret-value-${i}`] as const,
        );
        const query = secrets.map(([name, value]) => `${name}=${value}`).join('&');
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/auth/sso/callback?${query}&iss=visible-value`,
          headers: { 'x-request-id': 'log-check-2' },
        });
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/users?TOKEN=upper-secret&Key=mixed-secret&limit=1`,
          headers: { 'x-request-id': 'log-check-3' },
        });
        const text = JSON.stringify(
          logs.lines.filter((line) => ['log-check-2', 'log-check-3'].includes(line.request_id)),
        );
        for (const [, value] of secrets) assert.ok(!text.includes(value), value);
        assert.ok(!text.includes('upper-secret') && !text.includes('mixed-secret'));
        assert.ok(text.includes('code=[redacted]'));
        assert.ok(text.includes('iss=visible-value'), 'other parameters stay');
      });

      it('redacts encoded and repeated parameter names too', async () => {
        await t.app.inject({
          method: 'GET',
          url: '/api/v1/users?c%6Fde=enc-secret&token=first-secret&token=second-secret&pass%77ord=pw-secret',
          headers: { 'x-request-id': 'log-check-4' },
        });
        const text = JSON.stringify(logs.lines.filter((line) => line.request_id === 'log-check-4'));
        assert.ok(text.length > 2);
        for (const value of ['enc-secret', 'first-secret', 'second-secret', 'pw-secret'])
          assert.ok(!text.includes(value), value);
      });
    });

    describe('headers', () => {
      it('nosniff, no-referrer and DENY on every response; no-store on the API', async () => {
        const responses = await Promise.all([
          t.app.inject({ method: 'GET', url: '/health' }),
          t.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(t.adminToken) }),
          t.app.inject({ method: 'GET', url: '/api/v1/users' }),
          t.app.inject({ method: 'GET', url: '/nowhere' }),
          t.app.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            payload: { username: 'admin', password: ADMIN_PASSWORD },
          }),
        ]);
        for (const response of responses) {
          assert.equal(response.headers['x-content-type-options'], 'nosniff');
          assert.equal(response.headers['referrer-policy'], 'no-referrer');
          assert.equal(response.headers['x-frame-options'], 'DENY');
        }
        assert.equal(responses[1]!.headers['cache-control'], 'no-store');
        assert.equal(responses[4]!.headers['cache-control'], 'no-store');
      });

      it('errors of every layer carry the headers and the contract shape: 413, 415, malformed and over-long paths', async () => {
        const responses = {
          tooLarge: await t.app.inject({
            method: 'POST',
            url: '/api/v1/users',
            headers: { ...bearer(t.adminToken), 'content-type': 'application/json' },
            payload: JSON.stringify({ username: 'x', password: 'y'.repeat(70_000) }),
          }),
          mediaType: await t.app.inject({
            method: 'POST',
            url: '/api/v1/users',
            headers: { ...bearer(t.adminToken), 'content-type': 'application/xml' },
            payload: '<user/>',
          }),
          badUrl: await t.app.inject({ method: 'GET', url: '/api/v1/users/%zz', headers: bearer(t.adminToken) }),
          longParam: await t.app.inject({
            method: 'GET',
            url: `/api/v1/users/${'a'.repeat(2000)}`,
            headers: bearer(t.adminToken),
          }),
          longId: await t.app.inject({
            method: 'GET',
            url: `/api/v1/users/${'a'.repeat(200)}`,
            headers: bearer(t.adminToken),
          }),
        };
        assert.equal(responses.tooLarge.statusCode, 413);
        assert.deepEqual(responses.tooLarge.json().detail[0], 'PayloadTooLarge');
        assert.equal(responses.mediaType.statusCode, 415);
        assert.equal(responses.badUrl.statusCode, 422);
        assert.deepEqual(responses.badUrl.json().detail[0].loc, ['path']);
        assert.equal(responses.longParam.statusCode, 422);
        assert.deepEqual(responses.longParam.json().detail[0].loc, ['path']);
        assert.equal(responses.longId.statusCode, 422);
        assert.deepEqual(responses.longId.json().detail[0].loc, ['path', 'user_id']);
        for (const [name, response] of Object.entries(responses)) {
          assert.match(String(response.headers['x-request-id']), /^[0-9a-f-]{36}$/, name);
          assert.equal(response.headers['x-content-type-options'], 'nosniff', name);
          assert.equal(response.headers['x-frame-options'], 'DENY', name);
          assert.equal(response.headers['referrer-policy'], 'no-referrer', name);
          assert.equal(response.headers['cache-control'], 'no-store', name);
          assert.ok(Array.isArray(response.json().detail), name);
        }
      });

      it('/docs is served under a Content-Security-Policy that allows no inline script', async () => {
        const page = await t.app.inject({ method: 'GET', url: '/docs/' });
        assert.equal(page.statusCode, 200);
        assert.match(String(page.headers['content-type']), /text\/html/);
        const csp = String(page.headers['content-security-policy']);
        assert.match(csp, /script-src 'self'(;|$)/);
        assert.match(csp, /frame-ancestors 'none'/);
        assert.ok(!/script-src[^;]*unsafe-inline/.test(csp));
        // Every script of the page comes from the server itself, and is served.
        const scripts = [...page.body.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
        assert.ok(scripts.length > 0);
        for (const [, attributes, body] of scripts) {
          assert.equal(body!.trim(), '', 'no inline script');
          const src = /src="([^"]+)"/.exec(attributes!)?.[1];
          assert.ok(src && !/^https?:/.test(src), src);
          const asset = await t.app.inject({ method: 'GET', url: new URL(src, 'http://x/docs/').pathname });
          assert.equal(asset.statusCode, 200, src);
        }
      });

      it('CORS is off unless origins are configured', async () => {
        const preflight = await t.app.inject({
          method: 'OPTIONS',
          url: '/api/v1/users',
          headers: { origin: 'https://console.example.com', 'access-control-request-method': 'GET' },
        });
        assert.equal(preflight.headers['access-control-allow-origin'], undefined);
        const get = await t.app.inject({
          method: 'GET',
          url: '/api/v1/users',
          headers: { ...bearer(t.adminToken), origin: 'https://console.example.com' },
        });
        assert.equal(get.headers['access-control-allow-origin'], undefined);
      });
    });

    describe('probes', () => {
      it('/health/live is 200 without touching the database', async () => {
        const live = await t.app.inject({ method: 'GET', url: '/health/live' });
        assert.equal(live.statusCode, 200);
        assert.deepEqual(live.json(), { status: 'ok' });
      });

      it('/health/ready is 200 while the schema has every migration, 503 while one is pending, 200 on a newer schema', async () => {
        const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
        assert.equal(ready.statusCode, 200);
        assert.deepEqual(ready.json(), { status: 'ok' });
        const last = await sql<{
          name: string;
          timestamp: string;
        }>`select name, timestamp from kysely_migration order by name desc limit 1`.execute(t.handle.db);
        const { name, timestamp } = last.rows[0]!;
        await sql`delete from kysely_migration where name = ${name}`.execute(t.handle.db);
        try {
          const behind = await t.app.inject({ method: 'GET', url: '/health/ready' });
          assert.equal(behind.statusCode, 503);
          assert.equal(behind.json().status, 'unavailable');
          assert.match(behind.json().reason, /migrations are pending/);
          assert.equal(
            (await t.app.inject({ method: 'GET', url: '/health' })).statusCode,
            200,
            'liveness does not depend on the schema',
          );
        } finally {
          await sql`insert into kysely_migration (name, timestamp) values (${name}, ${timestamp})`.execute(t.handle.db);
        }
        // A newer version migrated the database during a rolling upgrade: this one keeps serving.
        await sql`insert into kysely_migration (name, timestamp) values ('9999_from_the_future', ${new Date().toISOString()})`.execute(
          t.handle.db,
        );
        try {
          assert.equal((await t.app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200);
        } finally {
          await sql`delete from kysely_migration where name = '9999_from_the_future'`.execute(t.handle.db);
        }
      });
    });

    describe('/metrics', () => {
      it('counts requests by route template, their durations, logins by method and result, and process metrics', async () => {
        const user = await createUser(t);
        await t.app.inject({ method: 'GET', url: `/api/v1/users/${user.id}`, headers: bearer(t.adminToken) });
        await t.app.inject({ method: 'GET', url: `/api/v1/users/${user.id}`, headers: bearer(t.adminToken) });
        await t.app.inject({ method: 'GET', url: `/definitely/not/${user.id}` });
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { username: user.username, password: 'wrong-password' },
        });
        await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { password: 'rsk_not-a-key' } });

        const response = await t.app.inject({ method: 'GET', url: '/metrics' });
        assert.equal(response.statusCode, 200);
        assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
        const text = response.body;
        const series = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
        assert.ok(
          series(/^http_requests_total\{method="GET",route="\/api\/v1\/users\/:user_id",status="200"\} (\d+)$/m) >= 2,
        );
        assert.ok(series(/^http_requests_total\{method="GET",route="unmatched",status="404"\} (\d+)$/m) >= 1);
        assert.ok(!text.includes(user.id), 'no raw URL (or id) becomes a label');
        assert.match(
          text,
          /^http_request_duration_seconds_bucket\{le="0\.1",method="GET",route="\/api\/v1\/users\/:user_id"\} \d+$/m,
        );
        assert.ok(series(/^roster_logins_total\{method="password",result="success"\} (\d+)$/m) >= 1);
        assert.ok(series(/^roster_logins_total\{method="password",result="failure"\} (\d+)$/m) >= 1);
        assert.ok(series(/^roster_logins_total\{method="api_key",result="failure"\} (\d+)$/m) >= 1);
        assert.match(text, /^# TYPE roster_webhook_deliveries_total counter$/m);
        assert.match(text, /^process_cpu_user_seconds_total \d/m);
        assert.match(text, /^nodejs_heap_size_used_bytes \d/m);
      });

      it('counts throttled logins', async () => {
        const user = await createUser(t);
        for (let i = 0; i <= t.config.loginThrottle.maxFailuresPerUsername; i++) {
          await t.app.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            payload: { username: user.username, password: 'wrong-password' },
          });
        }
        const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
        assert.match(text, /^roster_logins_total\{method="password",result="throttled"\} [1-9]\d*$/m);
      });
    });
  });

  describe(`operations with settings (${engine})`, () => {
    it('ROSTER_METRICS_TOKEN guards /metrics', async () => {
      const t = await createTestApp(engine, { ROSTER_METRICS_TOKEN: METRICS_TOKEN });
      try {
        assert.equal((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
        assert.equal(
          (await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer('metrics-token-wrong-value') }))
            .statusCode,
          401,
        );
        assert.equal(
          (await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(t.adminToken) })).statusCode,
          401,
        );
        const ok = await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(METRICS_TOKEN) });
        assert.equal(ok.statusCode, 200);
        assert.match(ok.body, /http_requests_total/);
      } finally {
        await t.close();
      }
    });

    it('CORS answers the configured origins only', async () => {
      const t = await createTestApp(engine, {
        ROSTER_CORS_ORIGINS: 'https://console.example.com, http://localhost:5173',
      });
      try {
        const preflight = (origin: string) =>
          t.app.inject({
            method: 'OPTIONS',
            url: '/api/v1/users',
            headers: {
              origin,
              'access-control-request-method': 'PATCH',
              'access-control-request-headers': 'authorization,if-match',
            },
          });
        const allowed = await preflight('https://console.example.com');
        assert.equal(allowed.statusCode, 204);
        assert.equal(allowed.headers['access-control-allow-origin'], 'https://console.example.com');
        assert.match(String(allowed.headers['access-control-allow-methods']), /PATCH/);
        assert.match(String(allowed.headers['access-control-allow-headers']), /if-match/);
        const other = await preflight('https://evil.example.com');
        assert.equal(other.headers['access-control-allow-origin'], undefined);
        const get = await t.app.inject({
          method: 'GET',
          url: '/api/v1/users',
          headers: { ...bearer(t.adminToken), origin: 'http://localhost:5173' },
        });
        assert.equal(get.headers['access-control-allow-origin'], 'http://localhost:5173');
        assert.match(String(get.headers['access-control-expose-headers']), /link/);
      } finally {
        await t.close();
      }
    });

    it('/health and /health/ready answer 503 when the database does not answer; /health/live stays 200', async () => {
      const t = await createTestApp(engine);
      try {
        await t.handle.close();
        assert.equal((await t.app.inject({ method: 'GET', url: '/health' })).statusCode, 503);
        const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
        assert.equal(ready.statusCode, 503);
        assert.equal(ready.json().reason, 'the database does not answer');
        assert.equal((await t.app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200);
      } finally {
        await t.close().catch(() => undefined);
      }
    });

    it('Link URLs ignore Host and absolute-form targets; with ROSTER_PUBLIC_URL they start with it', async () => {
      const relative = await createTestApp(engine);
      try {
        await createUser(relative);
        for (const request of [
          { url: '/api/v1/users?limit=1', headers: { host: 'evil.example.com' } },
          { url: 'http://evil.example.com/api/v1/users?limit=1', headers: {} },
        ]) {
          const response = await relative.app.inject({
            method: 'GET',
            url: request.url,
            headers: { ...bearer(relative.adminToken), ...request.headers },
          });
          assert.match(String(response.headers.link), /^<\/api\/v1\/users\?limit=1&after=[\w-]+>; rel="next"$/);
        }
      } finally {
        await relative.close();
      }
      const absolute = await createTestApp(engine, { ROSTER_PUBLIC_URL: 'https://roster.example.com/directory/' });
      try {
        await createUser(absolute);
        const response = await absolute.app.inject({
          method: 'GET',
          url: '/api/v1/users?limit=1',
          headers: { ...bearer(absolute.adminToken), host: 'evil.example.com' },
        });
        assert.match(
          String(response.headers.link),
          /^<https:\/\/roster\.example\.com\/directory\/api\/v1\/users\?limit=1&after=[\w-]+>; rel="next"$/,
        );
        const created = await absolute.app.inject({
          method: 'POST',
          url: '/api/v1/users',
          headers: bearer(absolute.adminToken),
          payload: { username: 'located', password: 'a-long-password' },
        });
        assert.equal(
          created.headers.location,
          `https://roster.example.com/directory/api/v1/users/${created.json().id}`,
        );
        const organization = await absolute.app.inject({
          method: 'POST',
          url: '/api/v1/organizations',
          headers: bearer(absolute.adminToken),
          payload: { name: 'located-org' },
        });
        assert.equal(
          organization.headers.location,
          `https://roster.example.com/directory/api/v1/organizations/${organization.json().id}`,
        );
      } finally {
        await absolute.close();
      }
    });
  });
}
