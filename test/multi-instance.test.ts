/**
 * Two Roster processes on one database, driven at the same time: the
 * database, not any instance's memory, decides every race and revocation.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, PASSWORD, engines, freshDatabase, type FreshDatabase } from './helpers.js';
import { startServer, type Started } from './process.js';

for (const engine of engines()) {
  describe(`two instances on one database [${engine}]`, () => {
    let database: FreshDatabase;
    let a: Started;
    let b: Started;
    let adminToken: string;

    before(async () => {
      database = await freshDatabase(engine);
      // Behind a trusted proxy (the test itself), X-Forwarded-For tells clients apart (API.md 3.3).
      const env = {
        ROSTER_DATABASE_URL: database.processUrl,
        ROSTER_ADMIN_PASSWORD: ADMIN_PASSWORD,
        ROSTER_LOG_LEVEL: 'warn',
        ROSTER_TRUST_PROXY: '127.0.0.1',
      };
      // Both start at once on an empty database: migrations and bootstrap must not collide.
      const started = await Promise.allSettled([startServer(env), startServer(env)]);
      const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) {
        // Leave no process behind: it would keep the test run alive.
        for (const r of started) if (r.status === 'fulfilled') await r.value.stop();
        throw failure.reason;
      }
      [a, b] = started.map((r) => (r as PromiseFulfilledResult<Started>).value) as [Started, Started];
      adminToken = await login(a, 'admin', ADMIN_PASSWORD);
    });
    after(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await database?.drop();
    });

    async function call(
      server: Started,
      method: string,
      path: string,
      token?: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
    }

    async function login(server: Started, username: string, password: string): Promise<string> {
      const response = await call(server, 'POST', '/api/v1/auth/login', undefined, { username, password });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.access_token;
    }

    async function newUser(server: Started, username: string) {
      const response = await call(server, 'POST', '/api/v1/users', adminToken, { username, password: PASSWORD });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body as { id: string; username: string };
    }

    it('creates a username raced on both instances exactly once (201 and 409, never 500)', async () => {
      for (let round = 0; round < 10; round++) {
        const payload = { username: `racer-${round}`, password: PASSWORD };
        const results = await Promise.all([
          call(a, 'POST', '/api/v1/users', adminToken, payload),
          call(b, 'POST', '/api/v1/users', adminToken, payload),
        ]);
        assert.deepEqual(results.map((r) => r.status).sort(), [201, 409], `round ${round}`);
      }
      const listed = await call(b, 'GET', '/api/v1/users?limit=1000', adminToken);
      assert.equal(listed.body.filter((u: { username: string }) => u.username.startsWith('racer-')).length, 10);
    });

    it('lets exactly one of many If-Match updates racing on both instances win; the rest get 412', async () => {
      const user = await newUser(a, 'contended');
      const etag = (await call(a, 'GET', `/api/v1/users/${user.id}`, adminToken)).headers.get('etag')!;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          call(
            i % 2 ? a : b,
            'PATCH',
            `/api/v1/users/${user.id}`,
            adminToken,
            { name: `writer ${i}` },
            { 'if-match': etag },
          ),
        ),
      );
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
      assert.equal(statuses.filter((s) => s === 412).length, 11, JSON.stringify(statuses));
      const winner = results.find((r) => r.status === 200)!.body.name;
      assert.equal((await call(b, 'GET', `/api/v1/users/${user.id}`, adminToken)).body.name, winner);
    });

    it('applies concurrent updates without If-Match on both instances without losing any', async () => {
      const user = await newUser(a, 'counter');
      const fields = ['name', 'company', 'job_title'] as const;
      const results = await Promise.all(
        fields.map((field, i) =>
          call(i % 2 ? a : b, 'PATCH', `/api/v1/users/${user.id}`, adminToken, { [field]: field }),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.status),
        [200, 200, 200],
      );
      const final = (await call(a, 'GET', `/api/v1/users/${user.id}`, adminToken)).body;
      assert.deepEqual([final.name, final.company, final.job_title], ['name', 'company', 'job_title']);
    });

    it('fails a token logged out through one instance at the other on its next use', async () => {
      await newUser(a, 'leaver');
      const token = await login(a, 'leaver', PASSWORD);
      assert.equal((await call(a, 'GET', '/api/v1/users/me', token)).status, 200);
      assert.equal((await call(b, 'POST', '/api/v1/auth/logout', token)).status, 204);
      assert.equal((await call(a, 'GET', '/api/v1/users/me', token)).status, 401);
    });

    it('fails a token at one instance right after its account is deactivated through the other', async () => {
      const user = await newUser(a, 'deactivated');
      const token = await login(a, 'deactivated', PASSWORD);
      assert.equal((await call(b, 'PATCH', `/api/v1/users/${user.id}`, adminToken, { is_active: false })).status, 200);
      assert.equal((await call(a, 'GET', '/api/v1/users/me', token)).status, 401);
    });

    it('fails a token at one instance right after its password is changed through the other', async () => {
      const user = await newUser(a, 'rekeyed');
      const token = await login(a, 'rekeyed', PASSWORD);
      assert.equal(
        (await call(b, 'PATCH', `/api/v1/users/${user.id}`, adminToken, { password: 'another-password' })).status,
        200,
      );
      assert.equal((await call(a, 'GET', '/api/v1/users/me', token)).status, 401);
    });

    it('fails a token and hides the account at one instance right after a delete through the other', async () => {
      const user = await newUser(a, 'deleted');
      const token = await login(a, 'deleted', PASSWORD);
      assert.equal((await call(a, 'GET', `/api/v1/users/${user.id}`, adminToken)).status, 200);
      assert.equal((await call(b, 'DELETE', `/api/v1/users/${user.id}`, adminToken)).status, 204);
      assert.equal((await call(a, 'GET', '/api/v1/users/me', token)).status, 401);
      assert.equal((await call(a, 'GET', `/api/v1/users/${user.id}`, adminToken)).status, 404);
      assert.deepEqual((await call(a, 'GET', '/api/v1/users?username=deleted', adminToken)).body, []);
    });

    it('shares the failed-login budget between instances', async () => {
      await newUser(a, 'guarded');
      const statuses = [];
      for (let i = 0; i < 12; i++) {
        const response = await call(i % 2 ? a : b, 'POST', '/api/v1/auth/login', undefined, {
          username: 'guarded',
          password: 'wrong-password',
        });
        statuses.push(response.status);
      }
      assert.deepEqual(statuses, [...Array(10).fill(401), 429, 429]);
    });

    it('limits an attacker at its address on both instances while the owner logs in from its own', async () => {
      await newUser(a, 'targeted');
      const attempt = (server: Started, forwardedFor: string, password: string) =>
        call(
          server,
          'POST',
          '/api/v1/auth/login',
          undefined,
          { username: 'targeted', password },
          { 'x-forwarded-for': forwardedFor },
        );
      const statuses = [];
      for (let i = 0; i < 12; i++)
        statuses.push((await attempt(i % 2 ? a : b, '203.0.113.66', 'wrong-password')).status);
      assert.deepEqual(statuses, [...Array(10).fill(401), 429, 429]);
      for (const server of [a, b]) {
        assert.equal((await attempt(server, '203.0.113.66', PASSWORD)).status, 429, 'the attacker stays limited');
        assert.equal((await attempt(server, '198.51.100.7', PASSWORD)).status, 200, 'the owner logs in');
      }
    });
  });
}
