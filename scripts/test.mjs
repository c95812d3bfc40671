// Runs the test suite: every file on SQLite, and on PostgreSQL too when
// ROSTER_TEST_DATABASE_URL is set, two files at a time (most of a file's time is spent waiting on
// servers, timers and the database). Extra arguments are passed to `node --test`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

if (!process.env.ROSTER_TEST_DATABASE_URL) {
  console.log(
    'PostgreSQL suite not run: set ROSTER_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test to run every test on PostgreSQL as well.',
  );
}
const files = readdirSync('test')
  .filter((name) => name.endsWith('.test.ts'))
  .sort()
  .map((name) => `test/${name}`);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...process.argv.slice(2), ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
