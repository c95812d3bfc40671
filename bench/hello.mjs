// The ceiling of the HTTP stack on this machine: a bare Fastify "hello"
// server, started like Roster (its own process, same Node, port 0).
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening on http://127.0.0.1:${app.server.address().port}\n`);
