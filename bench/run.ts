/**
 * `npm run bench [-- --users N --database URL --duration S]`: seeds a fresh
 * database, starts Roster and a bare Fastify server in their own processes,
 * and drives each scenario with autocannon from this process. Checks a sample
 * of answers for correctness and fails on any non-2xx. Prints a table and
 * writes it as JSON under bench/results/.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import pg from 'pg';
import { openDatabase } from '../dist/db/dialect.js';
import { encodeCursor } from '../dist/http/pagination.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '1000000' },
    database: { type: 'string' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
    // For iterating on Roster itself: reuse a database seeded (with --keep) by an earlier run.
    existing: { type: 'string' },
    // Only the scenarios whose names start with one of these (comma separated); the ceiling always runs.
    only: { type: 'string' },
    // Every scenario this many times, in turn (a ratio is then read within each round).
    rounds: { type: 'string', default: '1' },
    // Writes a CPU profile of the Roster process into this directory (open it in Chrome's DevTools).
    profile: { type: 'string' },
  },
});
const USERS = Number(args.users);
const DURATION = Number(args.duration);
const WARMUP = Number(args.warmup);
const CONNECTIONS = Number(args.connections);
const ROUNDS = Math.max(1, Number(args.rounds));
const DEPTH = Math.min(900_000, Math.floor(USERS * 0.9));
const ADMIN_PASSWORD = 'bench-admin-password';
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const resultsDir = join('bench', 'results');
mkdirSync(resultsDir, { recursive: true });

function fail(message: string): never {
  process.stderr.write(`bench: FAIL: ${message}\n`);
  process.exit(1);
}

// ---- a fresh database ----
let databaseUrl: string;
let dropDatabase = async () => {};
if (args.existing) {
  databaseUrl = args.existing;
} else if (args.database) {
  const schema = `roster_bench_${Date.now()}`;
  const client = new pg.Client({ connectionString: args.database });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  databaseUrl = `${args.database}${args.database.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  dropDatabase = async () => {
    const c = new pg.Client({ connectionString: args.database });
    await c.connect();
    await c.query(`drop schema ${schema} cascade`);
    await c.end();
  };
} else {
  const file = join(resultsDir, `bench-${stamp}.db`);
  databaseUrl = `sqlite:${file}`;
  dropDatabase = async () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  };
}
const engine = databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres';
const env = {
  ...process.env,
  ROSTER_DATABASE_URL: databaseUrl,
  ROSTER_ADMIN_PASSWORD: ADMIN_PASSWORD,
  ROSTER_LOG_LEVEL: 'warn',
  // The PATCH-with-webhook scenario delivers to a receiver on loopback.
  ROSTER_WEBHOOK_ALLOW_PRIVATE: 'true',
};

let seedSeconds = NaN;
if (!args.existing) {
  process.stderr.write(`bench: seeding ${USERS.toLocaleString('en')} users (${engine})\n`);
  const seedStarted = Date.now();
  const seed = spawnSync(process.execPath, ['dist/cli/roster.js', 'seed', '--users', String(USERS)], {
    env,
    stdio: 'inherit',
  });
  if (seed.status !== 0) fail('seeding failed');
  seedSeconds = (Date.now() - seedStarted) / 1000;
}

// ---- processes ----
function start(command: string[], extraEnv: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, command, {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/[\d.:]+)/i.exec(out);
      if (match) resolve({ child, url: match[1]! });
    });
    child.once('exit', (code) => reject(new Error(`${command.join(' ')} exited with ${code}: ${out}`)));
  });
}
// Started as `npm start` starts it (same V8 flags).
const profile = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : [];
const roster = await start([...profile, '--max-semi-space-size=4', 'dist/server.js'], { ROSTER_PORT: '0' });
const hello = await start(['bench/hello.mjs'], {});
// The minimal reference (bench/minimal.mjs) on the same database, with a token of its own.
const referenceSecret = randomBytes(32).toString('base64url');
const reference = await start(['bench/minimal.mjs'], { BENCH_TOKEN_SECRET: referenceSecret });
const children = [roster.child, hello.child, reference.child];
const stopAll = () => {
  for (const child of children) child.kill('SIGTERM');
};
process.on('exit', stopAll);

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of /proc/PID/stat, in clock ticks (100 per second here).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function call(path: string, init: RequestInit = {}) {
  const response = await fetch(`${roster.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as any };
}

const loginResponse = await fetch(`${roster.url}/api/v1/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
});
const token = ((await loginResponse.json()) as { access_token: string }).access_token;
if (!token) fail('cannot log in as the admin');
const adminId = (await call('/api/v1/users/me')).body.id as string;
const referenceToken = await new SignJWT({})
  .setProtectedHeader({ alg: 'HS256' })
  .setSubject(adminId)
  .setExpirationTime('24h')
  .sign(new TextEncoder().encode(referenceSecret));

// ---- random existing targets, read from the database ----
const sampleSize = 5000;
const handle = await openDatabase(databaseUrl, { poolSize: 2 });
const picks = Array.from({ length: sampleSize }, () => `user${Math.floor(Math.random() * USERS)}`);
const targets = await handle.db
  .selectFrom('users')
  .select(['id', 'email', 'username'])
  .where('username_lower', 'in', picks)
  .execute();
const deep = await handle.db
  .selectFrom('users')
  .select(['created', 'id'])
  .orderBy('created')
  .orderBy('id')
  .offset(DEPTH - 1)
  .limit(1001)
  .execute();
const cursors = deep
  .filter((_, i) => i % 20 === 0)
  .map((r) => ({
    after: encodeCursor({ created: typeof r.created === 'string' ? r.created : r.created.toISOString(), id: r.id }),
  }));
const FIRST = ['ava', 'ben', 'chloe', 'dan', 'ella', 'finn', 'grace', 'hugo'];
const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)]!;
const searchTerm = () => {
  if (Math.random() < 0.5) return `user${Math.floor(Math.random() * USERS)}`.slice(0, 8);
  return `${pick(FIRST)} ${'abcdefghijklmnopqrstuvwxyz'[Math.floor(Math.random() * 26)]}`;
};

// Prefixes of one, two and eight letters: a letter starts about one name in 26 (and "u" every
// username and email), two letters about as many, eight letters ("user1234") a few hundred keys.
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const prefixOf = (letters: number) => {
  if (letters === 1) return LETTERS[Math.floor(Math.random() * 26)]!;
  if (letters === 2) return Math.random() < 0.1 ? 'us' : pick(FIRST).slice(0, 2);
  return `user${Math.floor(Math.random() * USERS)}`.padEnd(8, '0').slice(0, 8);
};

// ---- correctness of a sample of answers ----
async function check(): Promise<void> {
  for (const target of targets.slice(0, 25)) {
    const byId = await call(`/api/v1/users/${target.id}`);
    if (byId.status !== 200 || byId.body.id !== target.id) fail(`GET /users/${target.id}`);
    const byEmail = await call(`/api/v1/users?email=${encodeURIComponent(target.email!.toUpperCase())}`);
    if (byEmail.status !== 200 || byEmail.body.length !== 1 || byEmail.body[0].id !== target.id)
      fail(`list by email ${target.email}`);
  }
  for (let i = 0; i < 40; i++) {
    const term = i < 25 ? searchTerm() : prefixOf([1, 2, 8][i % 3]!);
    const found = await call(`/api/v1/users?search=${encodeURIComponent(term)}&limit=20`);
    if (found.status !== 200) fail(`search ${term}`);
    for (const u of found.body) {
      const keys = [u.username, u.email ?? '', u.name ?? ''].map((k: string) => k.toLowerCase());
      if (!keys.some((k) => k.startsWith(term.toLowerCase()))) fail(`search ${term} returned ${u.username}`);
    }
    const sorted = [...found.body].sort((a, b) =>
      a.created === b.created ? (a.id < b.id ? -1 : 1) : a.created < b.created ? -1 : 1,
    );
    if (JSON.stringify(sorted) !== JSON.stringify(found.body)) fail(`search ${term} is not in list order`);
  }
  // A search's page is the first 20 accounts with a key starting with the prefix, as the database tells.
  for (const term of ['u', 'a', prefixOf(1), prefixOf(2), prefixOf(8)]) {
    const found = await call(`/api/v1/users?search=${term}&limit=20`);
    const next = String.fromCharCode(term.charCodeAt(term.length - 1) + 1);
    const high = term.slice(0, -1) + next;
    const expected = await handle.db
      .selectFrom('users')
      .select('username')
      .where((eb) =>
        eb.or(
          (['username_lower', 'email_lower', 'name_lower'] as const).map((column) =>
            eb.and([eb(column, '>=', term), eb(column, '<', high)]),
          ),
        ),
      )
      .orderBy('created')
      .orderBy('id')
      .limit(20)
      .execute();
    if (
      JSON.stringify(found.body.map((u: { username: string }) => u.username)) !==
      JSON.stringify(expected.map((u) => u.username))
    )
      fail(`search ${term} differs from the database's answer`);
  }
  const byOffset = await call(`/api/v1/users?offset=${DEPTH}&limit=100`);
  const byCursor = await call(`/api/v1/users?after=${cursors[0]!.after}&limit=100`);
  if (byOffset.status !== 200 || JSON.stringify(byOffset.body) !== JSON.stringify(byCursor.body)) {
    fail(`the page after the cursor at ${DEPTH} differs from the page at offset ${DEPTH}`);
  }
  // The minimal reference answers what Roster answers.
  const sorted = (value: unknown) =>
    JSON.stringify(value, (_k, v) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v,
    );
  for (const target of targets.slice(0, 10)) {
    for (const path of [`/api/v1/users/${target.id}`, `/api/v1/users?email=${encodeURIComponent(target.email!)}`]) {
      const fromRoster = await call(path);
      const fromReference = await fetch(`${reference.url}${path}`, {
        headers: { authorization: `Bearer ${referenceToken}` },
      });
      const body = await fromReference.json();
      if (fromReference.status !== 200 || sorted(body) !== sorted(fromRoster.body))
        fail(`the minimal reference answers ${path} differently`);
    }
  }
  const total = await call('/api/v1/users?include_total=true&limit=1');
  if (Number(total.headers.get('x-total-count')) !== USERS + 1)
    fail(`X-Total-Count ${total.headers.get('x-total-count')} != ${USERS + 1}`);
  const target = targets[0]!;
  const patched = await call(`/api/v1/users/${target.id}`, {
    method: 'PATCH',
    body: JSON.stringify({ job_title: 'checked' }),
  });
  if (patched.status !== 200 || patched.body.job_title !== 'checked') fail('PATCH');
}
await check();

// ---- load ----
interface Scenario {
  name: string;
  server: 'hello' | 'roster' | 'reference';
  /** A reference scenario: the Roster scenario it is the floor of. */
  referenceOf?: string;
  method?: 'GET' | 'PATCH';
  path: () => string;
  body?: () => string;
  /** Run after the scenario (undoing what `before` set up, for the next round). */
  after?: () => Promise<void>;
  /** Run once before the scenario (setting up what it measures). */
  before?: () => Promise<void>;
}

// The webhook receiver of the PATCH-with-webhook scenario, in its own process (bench/receiver.mjs).
const receiver = await start(['bench/receiver.mjs'], {});
children.push(receiver.child);
const receiverUrl = `${receiver.url}/hook`;
const deliveriesReceived = async () => Number(await (await fetch(`${receiver.url}/count`)).text());
let webhookId = '';
const scenarios: Scenario[] = [
  { name: 'ceiling: bare Fastify hello', server: 'hello', path: () => '/' },
  {
    name: 'minimal reference: list by email',
    server: 'reference',
    referenceOf: 'list by email',
    path: () => `/api/v1/users?email=${encodeURIComponent(pick(targets).email!)}`,
  },
  {
    name: 'minimal reference: get by id',
    server: 'reference',
    referenceOf: 'get by id',
    path: () => `/api/v1/users/${pick(targets).id}`,
  },
  {
    name: 'list by email',
    server: 'roster',
    path: () => `/api/v1/users?email=${encodeURIComponent(pick(targets).email!)}`,
  },
  { name: 'get by id', server: 'roster', path: () => `/api/v1/users/${pick(targets).id}` },
  {
    name: 'list with search',
    server: 'roster',
    path: () => `/api/v1/users?search=${encodeURIComponent(searchTerm())}&limit=20`,
  },
  ...[1, 2, 8].map(
    (letters): Scenario => ({
      name: `search, ${letters} letter${letters === 1 ? '' : 's'}`,
      server: 'roster',
      path: () => `/api/v1/users?search=${prefixOf(letters)}&limit=20`,
    }),
  ),
  {
    name: `offset page at ${DEPTH.toLocaleString('en')}`,
    server: 'roster',
    path: () => `/api/v1/users?offset=${DEPTH + Math.floor(Math.random() * 1000)}&limit=100`,
  },
  {
    name: `cursor page at ${DEPTH.toLocaleString('en')}`,
    server: 'roster',
    path: () => `/api/v1/users?after=${pick(cursors).after}&limit=100`,
  },
  { name: 'include_total, no filters', server: 'roster', path: () => '/api/v1/users?include_total=true' },
  {
    name: 'PATCH random users',
    server: 'roster',
    method: 'PATCH',
    path: () => `/api/v1/users/${pick(targets).id}`,
    body: () => JSON.stringify({ job_title: `title ${Math.floor(Math.random() * 1e6)}` }),
  },
  {
    // The same PATCH with a webhook registered: each one also queues a delivery, which the
    // server's delivery worker sends meanwhile (the audit event is written in both).
    name: 'PATCH random users, one webhook',
    server: 'roster',
    method: 'PATCH',
    path: () => `/api/v1/users/${pick(targets).id}`,
    body: () => JSON.stringify({ job_title: `title ${Math.floor(Math.random() * 1e6)}` }),
    before: async () => {
      const created = await call('/api/v1/webhooks', {
        method: 'POST',
        body: JSON.stringify({ url: receiverUrl, event_types: ['user.*'] }),
      });
      if (created.status !== 201) fail(`webhook: ${created.status}`);
      webhookId = created.body.id;
    },
    // The next round's PATCH scenario runs without it (deleting it drops the deliveries not sent yet).
    after: async () => {
      const deleted = await call(`/api/v1/webhooks/${webhookId}`, { method: 'DELETE' });
      if (deleted.status !== 204) fail(`webhook delete: ${deleted.status}`);
    },
  },
];
const chosen = (name: string) =>
  args.only === undefined || args.only.split(',').some((prefix) => name.startsWith(prefix));
// The ceiling always runs; a reference runs with the scenario it is the floor of.
const selected = scenarios.filter(
  (scenario) =>
    scenario.server === 'hello' ||
    chosen(scenario.name) ||
    (scenario.referenceOf !== undefined && chosen(scenario.referenceOf)),
);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function load(scenario: Scenario, seconds: number, connections = CONNECTIONS) {
  const latencies: number[] = [];
  const instance = autocannon({
    url: { hello: hello.url, roster: roster.url, reference: reference.url }[scenario.server],
    connections,
    duration: seconds,
    headers: {
      authorization: `Bearer ${scenario.server === 'reference' ? referenceToken : token}`,
      'content-type': 'application/json',
    },
    requests: [
      {
        method: scenario.method ?? 'GET',
        setupRequest: (request: Record<string, unknown>) => ({
          ...request,
          path: scenario.path(),
          ...(scenario.body ? { body: scenario.body() } : {}),
        }),
      },
    ],
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) =>
    latencies.push(responseTime),
  );
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return { result, latencies };
}

const rows: Record<string, unknown>[] = [];
/** Roster's req/s over its minimal reference's in the same round (null when it has none). */
function referenceRatio(round: number, name: string, rps: number): number | null {
  const floor = rows.find((r) => r.round === round && r.reference_of === name);
  return floor ? Number((rps / Number(floor.requests_per_s)).toFixed(3)) : null;
}
/** The reference's server CPU time per request over Roster's, in the same round (null when it has none). */
function cpuRatio(round: number, name: string, cpuUs: number): number | null {
  const floor = rows.find((r) => r.round === round && r.reference_of === name);
  return floor ? Number((Number(floor.server_cpu_us_per_request) / cpuUs).toFixed(3)) : null;
}
let ceiling = 0;
let rssAfterReads = 0;
for (let round = 1; round <= ROUNDS; round++) {
  for (const scenario of selected) {
    process.stderr.write(`bench: ${ROUNDS > 1 ? `round ${round}: ` : ''}${scenario.name}\n`);
    await scenario.before?.();
    await load(scenario, WARMUP);
    const receivedBefore = await deliveriesReceived();
    const server = { hello: hello.child, roster: roster.child, reference: reference.child }[scenario.server];
    const cpuBefore = cpuSeconds(server.pid!);
    const { result, latencies } = await load(scenario, DURATION);
    // The server's CPU time per request: steadier than req/s on a machine shared with others.
    const cpuUs = ((cpuSeconds(server.pid!) - cpuBefore) * 1e6) / Math.max(1, result.requests.total);
    const received = (await deliveriesReceived()) - receivedBefore;
    const bad = result.non2xx + result.errors + result.timeouts;
    if (bad > 0)
      fail(`${scenario.name}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
    const rps = result.requests.total / DURATION;
    if (scenario.server === 'hello') ceiling = rps;
    if (scenario.method === 'PATCH' && rssAfterReads === 0) rssAfterReads = rssMb(roster.child.pid!);
    // The same requests one at a time: the cost of one request, without queueing behind nine others.
    const single = await load(scenario, Math.max(1, Math.round(DURATION / 2)), 1);
    if (single.result.non2xx + single.result.errors + single.result.timeouts > 0)
      fail(`${scenario.name}: failures with one connection`);
    await scenario.after?.();
    rows.push({
      round,
      scenario: scenario.name,
      requests_per_s: Math.round(rps),
      p50_ms: Number(percentile(latencies, 50).toFixed(2)),
      p99_ms: Number(percentile(latencies, 99).toFixed(2)),
      ratio_to_ceiling: Number((rps / ceiling).toFixed(3)),
      ratio_to_reference: referenceRatio(round, scenario.name, rps),
      server_cpu_us_per_request: Math.round(cpuUs),
      cpu_ratio_to_reference: cpuRatio(round, scenario.name, cpuUs),
      single_connection_p50_ms: Number(percentile(single.latencies, 50).toFixed(2)),
      single_connection_p99_ms: Number(percentile(single.latencies, 99).toFixed(2)),
      ...(scenario.before ? { deliveries_received_during_load: received } : {}),
      ...(scenario.referenceOf ? { reference_of: scenario.referenceOf } : {}),
    });
  }
}
// ---- scale-out: several instances on one PostgreSQL database, each held to a share of a CPU ----
const CPU_CGROUPS = '/sys/fs/cgroup/cpu';
const scaleOutRows: Record<string, unknown>[] = [];
let scaleOutNote = '';
if (engine === 'postgres' && chosen('scale-out')) {
  if (!existsSync(join(CPU_CGROUPS, 'cgroup.procs'))) {
    scaleOutNote = `scale-out: not measured (no cgroup v1 cpu controller at ${CPU_CGROUPS}; it needs root)`;
  } else {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const { cpu, instances } of [
        { cpu: 0.4, instances: 2 },
        { cpu: 0.2, instances: 4 },
      ]) {
        const one = await instancesUnderLoad(1, cpu);
        const many = await instancesUnderLoad(instances, cpu);
        scaleOutRows.push({
          round,
          scenario: `scale-out: list by email, ${instances} instances / 1, ${cpu} CPU each`,
          cpu_per_instance: cpu,
          instances,
          one_instance_requests_per_s: Math.round(one),
          requests_per_s: Math.round(many),
          ratio_to_one_instance: Number((many / one).toFixed(3)),
        });
      }
    }
  }
}

/**
 * `count` more Roster processes on the bench's database, each in a cgroup of
 * its own capped at `cpu` of one core (cfs quota), each driven by a load
 * generator of its own (an autocannon of this process) with the list-by-email
 * requests: their req/s together.
 */
async function instancesUnderLoad(count: number, cpu: number): Promise<number> {
  process.stderr.write(`bench: scale-out: ${count} instance${count === 1 ? '' : 's'} at ${cpu} CPU each\n`);
  const started: { child: ChildProcess; url: string; group: string }[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const group = join(CPU_CGROUPS, `roster-bench-${process.pid}-${i}`);
      mkdirSync(group, { recursive: true });
      writeFileSync(join(group, 'cpu.cfs_period_us'), '100000');
      writeFileSync(join(group, 'cpu.cfs_quota_us'), String(Math.round(cpu * 100_000)));
      const instance = await start(['--max-semi-space-size=4', 'dist/server.js'], { ROSTER_PORT: '0' });
      writeFileSync(join(group, 'cgroup.procs'), String(instance.child.pid));
      started.push({ ...instance, group });
    }
    const drive = (seconds: number) =>
      Promise.all(
        started.map(({ url }) =>
          autocannon({
            url,
            connections: CONNECTIONS,
            duration: seconds,
            headers: { authorization: `Bearer ${token}` },
            requests: [
              {
                setupRequest: (request: Record<string, unknown>) => ({
                  ...request,
                  path: `/api/v1/users?email=${encodeURIComponent(pick(targets).email!)}`,
                }),
              },
            ],
          }),
        ),
      );
    await drive(WARMUP);
    const results = await drive(DURATION);
    for (const result of results) {
      if (result.non2xx + result.errors + result.timeouts > 0)
        fail(`scale-out: ${result.non2xx} non-2xx, ${result.errors} errors`);
    }
    return results.reduce((sum, result) => sum + result.requests.total, 0) / DURATION;
  } finally {
    for (const { child } of started) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    for (const { group } of started) rmdirSync(group);
  }
}

const rssEnd = rssMb(roster.child.pid!);
// Without a PATCH scenario, every scenario read.
if (rssAfterReads === 0) rssAfterReads = rssEnd;
await check();

const report = {
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
  engine,
  users: USERS,
  seed_seconds: Number(seedSeconds.toFixed(1)),
  connections: CONNECTIONS,
  duration_s: DURATION,
  server_rss_mb_after_reads: Number(rssAfterReads.toFixed(1)),
  server_rss_mb_at_end: Number(rssEnd.toFixed(1)),
  scenarios: rows,
  scale_out: scaleOutRows,
};
const file = join(resultsDir, `bench-${stamp}.json`);
writeFileSync(file, JSON.stringify(report, null, 2) + '\n');

const header = [
  'round',
  'scenario',
  'req/s',
  'p50 ms',
  'p99 ms',
  'x ceiling',
  'x reference',
  'CPU µs/req',
  'x reference CPU',
  '1-conn p50 ms',
  '1-conn p99 ms',
];
const lines = rows.map((r) =>
  [
    r.round,
    r.scenario,
    r.requests_per_s,
    r.p50_ms,
    r.p99_ms,
    r.ratio_to_ceiling,
    r.ratio_to_reference ?? '',
    r.server_cpu_us_per_request,
    r.cpu_ratio_to_reference ?? '',
    r.single_connection_p50_ms,
    r.single_connection_p99_ms,
  ].map(String),
);
// The scale-out runs in the same table: req/s of the instances together, and their ratio to one.
for (const r of scaleOutRows) {
  lines.push(
    [
      r.round,
      `${r.scenario} (one: ${r.one_instance_requests_per_s} req/s, x ${r.ratio_to_one_instance})`,
      r.requests_per_s,
    ]
      .map(String)
      .concat(Array(header.length - 3).fill('')),
  );
}
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
const format = (cells: string[]) =>
  `| ${cells.map((c, i) => (i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
process.stdout.write(
  [
    `Roster benchmark: ${engine}, ${USERS.toLocaleString('en')} users, ${CONNECTIONS} connections, ${DURATION} s per scenario, Node ${process.version}, ${cpus().length} cores`,
    format(header),
    `|${widths.map((w, i) => (i === 1 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|')}|`,
    ...lines.map(format),
    ...patchRatio(),
    ...referenceSummary(),
    ...scaleOutRows.map(
      (r) =>
        `round ${r.round}: ${r.scenario}: ${r.requests_per_s} / ${r.one_instance_requests_per_s} req/s = ${r.ratio_to_one_instance}`,
    ),
    ...(scaleOutNote ? [scaleOutNote] : []),
    `seeding: ${seedSeconds.toFixed(1)} s; server RSS after the read scenarios: ${rssAfterReads.toFixed(0)} MB, at the end: ${rssEnd.toFixed(0)} MB`,
    `written to ${file}`,
    '',
  ].join('\n'),
);
function medianOf(sorted: number[]): number {
  if (sorted.length === 0) return NaN;
  return sorted.length % 2
    ? sorted[(sorted.length - 1) / 2]!
    : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
}
/** The median over the rounds of each ratio to the minimal reference. */
function referenceSummary(): string[] {
  const names = [...new Set(rows.filter((r) => r.ratio_to_reference !== null).map((r) => String(r.scenario)))];
  return names.map((name) => {
    const ratios = rows
      .filter((r) => r.scenario === name && r.ratio_to_reference !== null)
      .map((r) => Number(r.ratio_to_reference))
      .sort((a, b) => a - b);
    const median =
      ratios.length % 2
        ? ratios[(ratios.length - 1) / 2]!
        : (ratios[ratios.length / 2 - 1]! + ratios[ratios.length / 2]!) / 2;
    const cpu = rows
      .filter((r) => r.scenario === name && r.cpu_ratio_to_reference !== null)
      .map((r) => Number(r.cpu_ratio_to_reference))
      .sort((a, b) => a - b);
    return `${name} / minimal reference: req/s ${ratios.map((r) => r.toFixed(3)).join(', ')} (median ${median.toFixed(3)} over ${ratios.length} round${ratios.length === 1 ? '' : 's'}); reference CPU per request / Roster's: ${cpu.map((r) => r.toFixed(3)).join(', ')} (median ${medianOf(cpu).toFixed(3)})`;
  });
}
function patchRatio(): string[] {
  const lines: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const inRound = rows.filter((r) => r.round === round);
    const plain = inRound.find((r) => r.scenario === 'PATCH random users');
    const hooked = inRound.find((r) => r.scenario === 'PATCH random users, one webhook');
    if (!plain || !hooked) continue;
    const ratio = Number(hooked.requests_per_s) / Number(plain.requests_per_s);
    const sent = Number(hooked.deliveries_received_during_load) / DURATION / Number(hooked.requests_per_s);
    lines.push(
      `round ${round}: PATCH with one webhook / PATCH: ${ratio.toFixed(3)}; deliveries received during the load / PATCHes: ${sent.toFixed(2)}`,
    );
  }
  return lines;
}
stopAll();
await handle.close();
if (!args.keep && !args.existing) await dropDatabase();
process.exit(0);
