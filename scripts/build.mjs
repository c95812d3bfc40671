// Compiles src/ into dist/ with tsc. With --if-stale it does nothing when dist/ is newer
// than every source file and setting (what `npm start` and `npm run roster` use, so that
// a start does not pay for a build when nothing changed).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = 'dist/.build-stamp';
const ifStale = process.argv.includes('--if-stale');

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

if (ifStale && existsSync(STAMP)) {
  const sources = Math.max(newest('src'), ...['tsconfig.json', 'package.json', 'package-lock.json'].map(newest));
  if (statSync(STAMP).mtimeMs >= sources) process.exit(0);
}
const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], {
  stdio: 'inherit',
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
