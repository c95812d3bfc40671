// The minimal reference of the benchmark: the fewest lines that answer `GET /api/v1/users?email=X`
// and `GET /api/v1/users/{id}` correctly for an authenticated caller, on the same seeded
// database, started like Roster (its own process, same Node, port 0). A bearer token signed with
// HMAC-SHA256 and verified without the database; the caller looked up by primary key and checked
// active; one indexed query; the user's 18 fields serialised from a schema. The token is a JWT
// (HS256, verified with jose, the library Roster uses for JWTs). No validation of
// other parameters, no visibility rules beyond "a superuser", no audit, no metrics, no logs: the
// floor of what such an answer costs on this machine, which Roster's rows are divided by.
// Environment: ROSTER_DATABASE_URL (sqlite: or postgres:), BENCH_TOKEN_SECRET.
import Fastify from 'fastify';
import { jwtVerify } from 'jose';

const url = process.env.ROSTER_DATABASE_URL;
const secret = new TextEncoder().encode(process.env.BENCH_TOKEN_SECRET);
const COLUMNS =
  'id, name, avatar_url, company, job_title, metadata, username, email, email_verified, oauth_provider, oauth_id, is_active, is_superuser, is_service_account, organization_id, is_onboarded, created, updated';
const nullable = (type) => ({ type: [type, 'null'] });
const User = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: nullable('string'),
    avatar_url: nullable('string'),
    company: nullable('string'),
    job_title: nullable('string'),
    metadata: { type: 'object', additionalProperties: true },
    username: { type: 'string' },
    email: nullable('string'),
    email_verified: { type: 'boolean' },
    oauth_provider: nullable('string'),
    oauth_id: nullable('string'),
    is_active: { type: 'boolean' },
    is_superuser: { type: 'boolean' },
    is_service_account: { type: 'boolean' },
    organization_id: nullable('string'),
    is_onboarded: { type: 'boolean' },
    created: { type: 'string' },
    updated: { type: 'string' },
  },
};

// One statement per question, prepared once.
let byId;
let byEmail;
let caller;
if (url.startsWith('sqlite:')) {
  const { default: Sqlite } = await import('better-sqlite3');
  const db = new Sqlite(url.slice('sqlite:'.length), { readonly: true });
  const user = db.prepare(`select ${COLUMNS} from users where id = ?`);
  const email = db.prepare(`select ${COLUMNS} from users where email_lower = ?`);
  const active = db.prepare('select is_active, is_superuser from users where id = ?');
  byId = async (id) => user.get(id);
  byEmail = async (address) => email.all(address);
  caller = async (id) => active.get(id);
} else {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const query = async (name, text, values) => (await pool.query({ name, text, values })).rows;
  byId = async (id) => (await query('by-id', `select ${COLUMNS} from users where id = $1`, [id]))[0];
  byEmail = (address) => query('by-email', `select ${COLUMNS} from users where email_lower = $1`, [address]);
  caller = async (id) => (await query('caller', 'select is_active, is_superuser from users where id = $1', [id]))[0];
}

const row = (r) =>
  r && {
    ...r,
    metadata: typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata,
    email_verified: !!r.email_verified,
    is_active: !!r.is_active,
    is_superuser: !!r.is_superuser,
    is_service_account: !!r.is_service_account,
    is_onboarded: !!r.is_onboarded,
  };

/** The caller's id from a JWT signed with the shared secret (signature, algorithm and expiry checked). */
async function subject(header) {
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return undefined;
  try {
    const { payload } = await jwtVerify(header.slice(7), secret, { algorithms: ['HS256'] });
    return typeof payload.sub === 'string' ? payload.sub : undefined;
  } catch {
    return undefined;
  }
}

const app = Fastify({ logger: false });
app.addHook('onRequest', async (request, reply) => {
  const id = await subject(request.headers.authorization);
  const found = id && (await caller(id));
  if (!found?.is_active || !found.is_superuser) return reply.code(401).send({ detail: 'unauthorized' });
});
app.get('/api/v1/users', { schema: { response: { 200: { type: 'array', items: User } } } }, async (request) => {
  const email = String(request.query.email ?? '').toLowerCase();
  return (await byEmail(email)).map(row);
});
app.get('/api/v1/users/:id', { schema: { response: { 200: User } } }, async (request, reply) => {
  const found = await byId(request.params.id);
  if (!found) return reply.code(404).send({ detail: 'not found' });
  return row(found);
});
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening on http://127.0.0.1:${app.server.address().port}\n`);
