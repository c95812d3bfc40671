/**
 * Prints the query plans of the list scenarios on a seeded database:
 * `node --import tsx bench/plans.ts sqlite:path` or `... postgres://...`.
 * The SQL is the one Roster's repository generates.
 */
import { sql, type CompiledQuery } from 'kysely';
import { openDatabase } from '../src/db/dialect.js';
import { UsersRepository } from '../src/modules/users/users.repository.js';
import { SessionsRepository } from '../src/modules/sessions/sessions.repository.js';

const url = process.argv[2]!;
const captured: CompiledQuery[] = [];
const handle = await openDatabase(url, { poolSize: 1, onQuery: (query) => captured.push(query) });
const db = handle.db;
const users = new UsersRepository(db);
const sessions = new SessionsRepository(db);
const deep = await db
  .selectFrom('users')
  .select(['created', 'id'])
  .orderBy('created')
  .orderBy('id')
  .offset(899_999)
  .limit(1)
  .executeTakeFirstOrThrow();
const created = typeof deep.created === 'string' ? deep.created : deep.created.toISOString();
const all = { kind: 'all' } as const;

const scenarios: [string, () => Promise<unknown>][] = [
  ['authentication (every request)', () => sessions.findLive('x'.repeat(43), new Date().toISOString())],
  ['list by email', () => users.list(all, { email: 'user123456@example.com' }, { offset: 0, limit: 100 })],
  ['get by id', () => users.findById(deep.id)],
  ['list with search', () => users.list(all, { search: 'ava s' }, { offset: 0, limit: 20 })],
  ['offset page at 900,000', () => users.list(all, {}, { offset: 900_000, limit: 100 })],
  ['cursor page at 900,000', () => users.list(all, {}, { offset: 0, limit: 100, after: { created, id: deep.id } })],
  ['include_total (count)', () => users.count(all, {})],
  ['filter is_active=false', () => users.list(all, { is_active: false }, { offset: 0, limit: 100 })],
  ['filter oauth_provider', () => users.list(all, { oauth_provider: 'github' }, { offset: 0, limit: 100 })],
  ['filter organization_id', () => users.list(all, { organization_id: deep.id }, { offset: 0, limit: 100 })],
  [
    'visibility of a non-superuser',
    () =>
      users.list({ kind: 'visible-to', userId: deep.id, organizationIds: [deep.id] }, {}, { offset: 0, limit: 100 }),
  ],
];

for (const [name, run] of scenarios) {
  captured.length = 0;
  await run();
  for (const query of [...captured]) {
    const explain = url.startsWith('sqlite:')
      ? sql.raw(`explain query plan ${query.sql}`)
      : sql.raw(`explain (analyze, costs off, timing off, summary off) ${query.sql}`);
    const withParams = { ...explain.compile(db), parameters: query.parameters };
    const rows = (await db.executeQuery(withParams)).rows as Record<string, unknown>[];
    const lines = rows.map((r) => String(r.detail ?? r['QUERY PLAN']));
    process.stdout.write(`\n### ${name}\n\n\`\`\`sql\n${query.sql}\n\`\`\`\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`);
  }
}
await handle.close();
