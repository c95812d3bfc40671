// The webhook sender thread: signed posts in order, and a batch's deadline (its lease) respected.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SenderThread } from '../src/modules/webhooks/sender.js';

describe('the webhook sender thread', () => {
  let server: Server;
  let url = '';
  const received: string[] = [];
  before(async () => {
    server = createServer((request, response) => {
      received.push(String(request.headers['webhook-id']));
      request.resume();
      request.on('end', () => response.writeHead(204).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const event = (id: string) => ({ id }) as never;

  it('posts a batch in order and reports each outcome', async () => {
    const sender = new SenderThread(true);
    try {
      received.length = 0;
      const result = await sender.send({
        url,
        secret: 'whsec_AAAA',
        events: [event('e1'), event('e2'), event('e3')],
        deadline: Date.now() + 60_000,
      });
      assert.equal(result.aborted, false);
      assert.deepEqual(
        result.outcomes.map((o) => o.kind),
        ['delivered', 'delivered', 'delivered'],
      );
      assert.deepEqual(received, ['e1', 'e2', 'e3']);
    } finally {
      await sender.stop();
    }
  });

  it('starts no delivery that could outlast the batch lease: the rest comes back unsent', async () => {
    const sender = new SenderThread(true);
    try {
      received.length = 0;
      // Less than one delivery timeout (10 s) left: nothing may start.
      const result = await sender.send({
        url,
        secret: 'whsec_AAAA',
        events: [event('late1'), event('late2')],
        deadline: Date.now() + 5_000,
      });
      assert.equal(result.aborted, true);
      assert.deepEqual(result.outcomes, []);
      assert.deepEqual(received, []);
    } finally {
      await sender.stop();
    }
  });

  it('fails a batch it cannot send (a URL that does not parse) without dying', async () => {
    const errors: unknown[] = [];
    const sender = new SenderThread(true, (error) => errors.push(error));
    try {
      const bad = await sender.send({
        url: 'not a url',
        secret: 'whsec_AAAA',
        events: [event('x')],
        deadline: Date.now() + 60_000,
      });
      assert.equal(bad.outcomes[0]?.kind, 'failed');
      const good = await sender.send({
        url,
        secret: 'whsec_AAAA',
        events: [event('after')],
        deadline: Date.now() + 60_000,
      });
      assert.equal(good.outcomes[0]?.kind, 'delivered', 'the thread lives on');
      assert.deepEqual(errors, []);
    } finally {
      await sender.stop();
    }
  });
});
