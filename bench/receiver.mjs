// A webhook receiver for the PATCH-with-webhook scenario, in a process of its own (so that
// receiving deliveries does not slow the load generator down): answers every POST with 204 at
// once, and GET /count with the number of deliveries received so far.
import { createServer } from 'node:http';

let received = 0;
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    if (request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end(String(received));
      return;
    }
    received += 1;
    response.writeHead(204).end();
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
