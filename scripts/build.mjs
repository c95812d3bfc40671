// Builds Roster: src/ into dist/ with tsc, then the console (console/) into dist/console with
// Vite, with gzip and brotli copies of its assets. With --if-stale it does nothing when dist/ is
// newer than every source file and setting (what `npm start` and `npm run roster` use, so that
// a start does not pay for a build when nothing changed).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const STAMP = 'dist/.build-stamp';
const ifStale = process.argv.includes('--if-stale');
const SOURCES = [
  'src',
  'console/src',
  'console/index.html',
  'console/vite.config.ts',
  'clients/typescript/src',
  'tsconfig.json',
  'package.json',
  'package-lock.json',
];

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

function run(args) {
  const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (ifStale && existsSync(STAMP) && statSync(STAMP).mtimeMs >= Math.max(...SOURCES.map(newest))) process.exit(0);

run(['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json']);
run(['node_modules/vite/bin/vite.js', 'build', '--config', 'console/vite.config.ts', '--logLevel', 'warn']);
const assets = 'dist/console/assets';
for (const name of readdirSync(assets)) {
  if (!/\.(js|css|svg|json)$/.test(name)) continue;
  const body = readFileSync(join(assets, name));
  writeFileSync(join(assets, `${name}.gz`), gzipSync(body, { level: 9 }));
  writeFileSync(
    join(assets, `${name}.br`),
    brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  );
}
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
