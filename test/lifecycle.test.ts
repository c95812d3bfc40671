/**
 * The server process's life (API.md 9), on both engines: SIGTERM drains
 * requests in flight and exits 0 within ROSTER_SHUTDOWN_TIMEOUT even with a
 * stalled client; slow clients lose their connection; a ROSTER_ADMIN_PASSWORD
 * that no longer applies is reported; raw request targets never reach Link.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { ADMIN_PASSWORD, engines, freshDatabase, type FreshDatabase } from './helpers.js';
import { startServer, type Started } from './process.js';

function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  return once(socket, 'connect').then(() => socket);
}

/** Resolves with the exit code, or rejects when the process is still running after `ms`. */
function exitWithin(server: Started, ms: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (server.child.exitCode !== null) return resolve(server.child.exitCode);
    const timer = setTimeout(() => reject(new Error(`still running ${ms} ms after SIGTERM:\n${server.output()}`)), ms);
    server.child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

async function adminToken(url: string, password = ADMIN_PASSWORD): Promise<string> {
  const response = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { access_token: string }).access_token;
}

for (const engine of engines()) {
  describe(`the server process's life (${engine})`, () => {
    let database: FreshDatabase;
    const start = (env: Record<string, string> = {}) =>
      startServer({ ROSTER_DATABASE_URL: database.processUrl, ROSTER_ADMIN_PASSWORD: ADMIN_PASSWORD, ...env });
    before(async () => {
      database = await freshDatabase(engine);
    });
    after(async () => database.drop());

    it('SIGTERM with a client stalled half way through its body: the process exits 0 within the shutdown timeout', async () => {
      const server = await start({ ROSTER_SHUTDOWN_TIMEOUT: '2', ROSTER_REQUEST_TIMEOUT: '120' });
      try {
        const socket = await openSocket(server.url);
        socket.on('error', () => undefined);
        socket.write(
          'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user',
        );
        // A request in flight at the same time is answered.
        const inFlight = fetch(`${server.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
        server.child.kill('SIGTERM');
        assert.equal((await inFlight).status, 200);
        // Two seconds of timeout, with a margin for a loaded machine: far less than the
        // two minutes the stalled client would otherwise hold the process.
        assert.equal(await exitWithin(server, 6_000), 0);
        socket.destroy();
        assert.match(server.output(), /shutting down/);
      } finally {
        await server.stop();
      }
    });

    it('SIGINT drains the same way, and `roster serve` runs the same server', async () => {
      const server = await startServer(
        { ROSTER_DATABASE_URL: database.processUrl, ROSTER_ADMIN_PASSWORD: ADMIN_PASSWORD },
        ['src/cli/roster.ts', 'serve'],
      );
      try {
        assert.equal((await fetch(`${server.url}/health/ready`)).status, 200);
        server.child.kill('SIGINT');
        assert.equal(await exitWithin(server, 6_000), 0);
        assert.match(server.output(), /"signal":"SIGINT"/);
      } finally {
        await server.stop();
      }
    });

    it('a client that sends its body too slowly gets a 408 in the contract shape and loses the connection', async () => {
      const server = await start({ ROSTER_REQUEST_TIMEOUT: '2' });
      try {
        const socket = await openSocket(server.url);
        socket.on('error', () => undefined);
        socket.write(
          'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user',
        );
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk));
        await once(socket, 'close');
        assert.match(answer, /^HTTP\/1\.1 408 /);
        assert.match(answer, /\r\nx-content-type-options: nosniff\r\n/i);
        assert.match(answer, /\r\nx-request-id: [0-9a-f-]{36}\r\n/i);
        assert.deepEqual(JSON.parse(answer.split('\r\n\r\n')[1]!), {
          detail: ['RequestTimeout', 'the request did not arrive in time'],
        });
      } finally {
        await server.stop();
      }
    });

    it('a client that never finishes its headers loses the connection', async () => {
      const server = await start({ ROSTER_REQUEST_TIMEOUT: '1' });
      try {
        const socket = await openSocket(server.url);
        socket.on('error', () => undefined);
        socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk));
        await once(socket, 'close');
        assert.match(answer, /^HTTP\/1\.1 408/);
      } finally {
        await server.stop();
      }
    });

    it('an absolute-form request target never puts its host into Link', async () => {
      const server = await start();
      try {
        const token = await adminToken(server.url);
        const socket = await openSocket(server.url);
        socket.write(
          `GET http://evil.example.com/api/v1/users?limit=1 HTTP/1.1\r\nHost: evil.example.com\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
        );
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk));
        await once(socket, 'close');
        assert.match(answer, /^HTTP\/1\.1 200/);
        assert.match(answer, /\r\nlink: <\/api\/v1\/users\?limit=1&after=[\w-]+>; rel="next"\r\n/i);
        assert.ok(!/evil/.test(answer.split('\r\n\r\n')[0]!.replace(/^Host:.*$/im, '')));
      } finally {
        await server.stop();
      }
    });

    it("a ROSTER_ADMIN_PASSWORD that is not the internal account's is reported as ignored", async () => {
      const server = await start({ ROSTER_ADMIN_PASSWORD: 'some-other-password' });
      try {
        assert.match(
          server.output(),
          /ROSTER_ADMIN_PASSWORD is not the password of the existing internal account and is ignored.*roster admin reset-password/,
        );
        assert.ok(!server.output().includes('some-other-password'));
        await adminToken(server.url);
      } finally {
        await server.stop();
      }
    });
  });
}
