/**
 * `npm run fuzz [-- --requests N --seed S]`: Roster's own fuzzer, driven by its
 * OpenAPI document. Every operation is called, in random order, with values
 * generated from its schemas (valid ones, near misses and hostile ones: wrong
 * types, extra and missing fields, huge, NUL, lone-surrogate and
 * odd-Unicode text, out-of-range numbers, malformed JSON, foreign content
 * types), real and unknown ids, and credentials of every kind of caller. It
 * fails when any answer is a 5xx, or an error outside the contract's two
 * shapes (API.md 1.1). Runs on PostgreSQL when ROSTER_TEST_DATABASE_URL is
 * set, else on SQLite; in-process (`inject`), against a database of its own.
 */
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { ADMIN_PASSWORD, bearer, createTestApp, createUserWithToken, login } from '../test/helpers.js';

const { values: args } = parseArgs({
  options: { requests: { type: 'string', default: '20000' }, seed: { type: 'string', default: '1' } },
});
const TOTAL = Number(args.requests);

// A small seeded generator (mulberry32), so that a failing run can be replayed with --seed.
let state = Number(args.seed) >>> 0;
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let x = state;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const chance = (p: number) => random() < p;

const engine = process.env.ROSTER_TEST_DATABASE_URL ? 'postgres' : 'sqlite';
const t = await createTestApp(engine, {
  ROSTER_LOGIN_MAX_FAILURES: '1000000',
  ROSTER_LOGIN_MAX_FAILURES_PER_ADDRESS: '1000000',
});
const doc = t.app.swagger() as unknown as { paths: Record<string, Record<string, Operation>> };

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
}
interface Operation {
  operationId: string;
  parameters?: { in: string; name: string; required?: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

// ---- a small world: callers of every kind and real ids to aim at ----
const world = {
  users: [] as string[],
  organizations: [] as string[],
  organizationNames: [] as string[],
  workspaces: [] as string[],
  apiKeys: [] as string[],
  invitations: [] as string[],
  tokens: [] as string[],
};
async function setup() {
  const owner = await createUserWithToken(t, { email: 'owner@example.com' });
  const member = await createUserWithToken(t);
  const outsider = await createUserWithToken(t);
  world.users.push(owner.user.id, member.user.id, outsider.user.id);
  const org = (
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/organizations',
      headers: bearer(owner.token),
      payload: { name: 'fuzz-org' },
    })
  ).json();
  world.organizations.push(org.id);
  world.organizationNames.push(org.name);
  await t.app.inject({
    method: 'PUT',
    url: `/api/v1/organizations/${org.id}/members/${member.user.id}`,
    headers: bearer(t.adminToken),
    payload: { role: 'editor' },
  });
  const ws = (
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/organizations/${org.id}/workspaces`,
      headers: bearer(owner.token),
      payload: { name: 'fuzz-ws' },
    })
  ).json();
  world.workspaces.push(ws.id);
  const sa = (
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/organizations/${org.id}/service_accounts`,
      headers: bearer(owner.token),
      payload: { username: 'fuzz-bot' },
    })
  ).json();
  world.users.push(sa.id);
  const key = (
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/users/${sa.id}/api_keys`,
      headers: bearer(owner.token),
      payload: { name: 'k' },
    })
  ).json();
  world.apiKeys.push(key.id);
  const invitation = (
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/organizations/${org.id}/invitations`,
      headers: bearer(owner.token),
      payload: { user_id: member.user.id, role: 'viewer' },
    })
  ).json();
  world.invitations.push(invitation.id ?? randomUUID());
  world.tokens.push(t.adminToken, owner.token, member.token, outsider.token, key.key);
}

// ---- values ----
const HOSTILE_TEXT = [
  '',
  ' ',
  'a'.repeat(300),
  'x'.repeat(70_000),
  '\u0000',
  'nul\u0000inside',
  '\ud800',
  'pair \ud83d\ude00',
  '\u202e\u200b',
  "' or 1=1 --",
  '"; drop table users; --',
  '%00',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  '1e309',
  '-0',
  'null',
  'True',
  '😀'.repeat(200),
];
function text(schema: Schema): string {
  if (chance(0.25)) return pick(HOSTILE_TEXT);
  switch (schema.format) {
    case 'uuid':
      return chance(0.5)
        ? pick([...world.users, ...world.organizations, ...world.workspaces, ...world.apiKeys, ...world.invitations])
        : randomUUID();
    case 'email':
      return pick([
        'owner@example.com',
        `fuzz${Math.floor(random() * 1000)}@example.com`,
        'not-an-email',
        'a@b',
        'ÄÖ@exämple.com',
      ]);
    case 'uri':
      return pick(['https://example.com/a.png', 'javascript:alert(1)', 'http://', 'ftp://x/y']);
    case 'date-time':
      return pick([new Date().toISOString(), '2026-02-30T00:00:00.000Z', 'yesterday']);
  }
  const length = Math.min(schema.maxLength ?? 20, Math.max(schema.minLength ?? 1, Math.floor(random() * 24)));
  if (schema.pattern && chance(0.7)) return `fuzz${Math.floor(random() * 1e6)}`.slice(0, Math.max(length, 1));
  return chance(0.5) ? 'plum-orbit-candle-41' : 'x'.repeat(length);
}
function value(schema: Schema, depth = 0): unknown {
  if (chance(0.08)) return pick([null, 0, -1, 1e308, true, 'text', [], {}, [1, 2], { a: { b: { c: 1 } } }]);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return pick(schema.enum);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) return value(pick(branches), depth);
  const type = Array.isArray(schema.type) ? pick(schema.type) : schema.type;
  switch (type) {
    case 'string':
      return text(schema);
    case 'integer':
    case 'number':
      return chance(0.3) ? pick([-1, 0, 2 ** 53, 1.5, 1e9]) : Math.floor((schema.minimum ?? 0) + random() * 100);
    case 'boolean':
      return chance(0.5);
    case 'null':
      return null;
    case 'array':
      return depth > 3
        ? []
        : Array.from({ length: Math.floor(random() * 3) }, () => value(schema.items ?? {}, depth + 1));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        const required = schema.required?.includes(name);
        if (required ? chance(0.95) : chance(0.5)) out[name] = value(property, depth + 1);
      }
      if (chance(0.1)) out[pick(['extra', 'Password', 'is_internal', '__proto__'])] = 'x';
      if (!schema.properties && chance(0.5)) out[pick(HOSTILE_TEXT.slice(0, 10))] = pick(HOSTILE_TEXT);
      return out;
    }
    default:
      return pick(['x', 1, null, { k: 'v' }]);
  }
}
function pathValue(name: string): string {
  const pools: Record<string, string[]> = {
    user_id: world.users,
    organization_id: [...world.organizations, ...world.organizationNames],
    workspace_id: world.workspaces,
    api_key_id: world.apiKeys,
    invitation_id: world.invitations,
  };
  if (chance(0.6) && pools[name]?.length) return pick(pools[name]);
  return encodeURIComponent(
    pick([randomUUID(), 'me', 'not-a-uuid', '0', 'a'.repeat(200), 'ÄÖ', '%zz', '..', randomUUID().toUpperCase()]),
  ).replace('%25zz', '%zz');
}

// ---- the check ----
function contractShape(status: number, body: string, type: string | undefined): string | undefined {
  if (status >= 500) return `status ${status}`;
  if (status < 400) return undefined;
  if (!type?.startsWith('application/json')) return `error with content-type ${type}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'error body is not JSON';
  }
  const detail = (parsed as { detail?: unknown }).detail;
  if (!Array.isArray(detail)) return 'error without a detail list';
  const domain = detail.length === 2 && detail.every((d) => typeof d === 'string');
  const validation =
    detail.length > 0 &&
    detail.every(
      (d) =>
        typeof d === 'object' &&
        d !== null &&
        typeof d.type === 'string' &&
        typeof d.msg === 'string' &&
        Array.isArray(d.loc) &&
        ['body', 'query', 'path', 'header'].includes(d.loc[0]),
    );
  if (status === 422 ? !validation : !domain) return `detail not in the contract's shape for ${status}`;
  return undefined;
}

await setup();
const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
);
const counts = new Map<string, Map<number, number>>();
const violations: string[] = [];
const started = Date.now();
for (let i = 0; i < TOTAL; i++) {
  const { path, method, operation } = pick(operations);
  let url = path.replace(/\{(\w+)\}/g, (_m, name: string) => pathValue(name));
  const query = new URLSearchParams();
  const headers: Record<string, string> = {};
  for (const parameter of operation.parameters ?? []) {
    if (parameter.in === 'query' && chance(0.4)) {
      // A long poll would hold the run for up to 30 s: only answers at once (0) or refusals.
      const v = parameter.name === 'wait' ? pick([0, -1, 31, 'soon']) : value(parameter.schema);
      query.set(parameter.name, typeof v === 'string' ? v : JSON.stringify(v));
    }
    if (parameter.in === 'header' && chance(0.3))
      headers[parameter.name] = pick(['"v1"', '*', 'W/"v1"', 'garbage', '"v1", "v2"']);
  }
  if (chance(0.05)) query.set(pick(['unknown', 'offset', 'limit']), pick(HOSTILE_TEXT.slice(0, 12)));
  if ([...query].length > 0) url += `?${query.toString()}`;
  const caller = random();
  // Logging out spends its token: it gets a session of its own, so the callers' tokens live on.
  if (caller < 0.8 && operation.operationId === 'logout')
    headers.authorization = `Bearer ${await login(t.app, 'admin', ADMIN_PASSWORD).catch(() => 'rst_none')}`;
  else if (caller < 0.8 && world.tokens.length > 0) headers.authorization = `Bearer ${pick(world.tokens)}`;
  else if (caller < 0.9)
    headers.authorization = pick([
      'Bearer rst_forged',
      'Bearer rsk_forged',
      'Basic YTpi',
      'Bearer',
      'bearer  ' + 'x'.repeat(5000),
    ]);
  let payload: string | undefined;
  const content = operation.requestBody ? Object.entries(operation.requestBody.content) : [];
  if (content.length > 0 || chance(0.05)) {
    const [contentType, { schema }] =
      content.length > 0 ? pick(content) : ['application/json', { schema: {} as Schema }];
    const body = value(schema);
    const shape = random();
    if (shape < 0.05) {
      headers['content-type'] = 'application/json';
      payload = pick([
        '{',
        '{"a":',
        '[1,2',
        '"\\ud800"',
        '{"a":1}{"b":2}',
        '{"__proto__": {"x": 1}}',
        '['.repeat(100) + ']'.repeat(100),
      ]);
    } else if (shape < 0.08) {
      headers['content-type'] = pick(['text/plain', 'application/xml', 'multipart/form-data; boundary=x']);
      payload = 'a=b';
    } else if (contentType === 'application/x-www-form-urlencoded') {
      headers['content-type'] = contentType;
      payload = new URLSearchParams(
        Object.entries((body ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
      ).toString();
    } else {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
  }
  // Mutating operations on the world's own ids may remove them; that is part of the exploration.
  const response = await t.app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(payload === undefined ? {} : { payload }),
  });
  const id = `${method} ${path}`;
  const byStatus = counts.get(id) ?? new Map<number, number>();
  byStatus.set(response.statusCode, (byStatus.get(response.statusCode) ?? 0) + 1);
  counts.set(id, byStatus);
  const problem = contractShape(response.statusCode, response.body, String(response.headers['content-type'] ?? ''));
  if (problem && violations.length < 50)
    violations.push(
      `${id}: ${problem}: ${method} ${url.slice(0, 200)} ${payload?.slice(0, 200) ?? ''} -> ${response.body.slice(0, 300)}`,
    );
  else if (problem) violations.push('');
  // Keep the world alive: a deleted token or id is replaced now and then.
  if (i % 100 === 99) {
    try {
      // Drop credentials the run revoked (logout, deletion, deactivation, password change).
      const live = [];
      for (const token of world.tokens) {
        if ((await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(token) })).statusCode === 200)
          live.push(token);
      }
      world.tokens = live;
      if (process.env.FUZZ_DEBUG) process.stderr.write(`live tokens: ${live.length}\n`);
      t.adminToken = await login(t.app, 'admin', ADMIN_PASSWORD);
      const fresh = await createUserWithToken(t);
      world.users.push(fresh.user.id);
      world.tokens.push(t.adminToken, fresh.token);
    } catch {
      // The internal account's password or session was changed by the run itself; go on.
    }
  }
}

const statuses = new Map<number, number>();
for (const byStatus of counts.values())
  for (const [status, n] of byStatus) statuses.set(status, (statuses.get(status) ?? 0) + n);
process.stdout.write(
  `fuzz (${engine}, seed ${args.seed}): ${TOTAL.toLocaleString('en')} requests over ${counts.size} of ${operations.length} operations in ${((Date.now() - started) / 1000).toFixed(1)} s\n` +
    `statuses: ${[...statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ')}\n` +
    `5xx: ${[...statuses].filter(([s]) => s >= 500).reduce((sum, [, n]) => sum + n, 0)}; answers outside the contract's shapes: ${violations.length}\n`,
);
for (const line of violations.filter(Boolean)) process.stdout.write(`  ${line}\n`);
await t.close();

process.exit(violations.length > 0 ? 1 : 0);
