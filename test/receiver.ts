/** A webhook receiver on loopback for tests: records every request, answers as told. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** What to answer to the next requests (a status, or 'hang' to never answer). */
  respond: (request: Received) => number | 'hang';
  /** Requests being answered right now (to see parallel deliveries). */
  inFlight: () => number;
  maxInFlight: () => number;
  close: () => Promise<void>;
}

export async function startReceiver(delayMs = 0): Promise<Receiver> {
  let inFlight = 0;
  let maxInFlight = 0;
  const receiver: Receiver = {
    url: '',
    received: [],
    respond: () => 200,
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const entry = { headers: request.headers, body, at: Date.now() };
      receiver.received.push(entry);
      const answer = receiver.respond(entry);
      if (answer === 'hang') return;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        response.writeHead(answer).end('ok');
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}

/** Waits until `done()` holds, checking every 50 ms; fails after `ms`. */
export async function eventually(done: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
