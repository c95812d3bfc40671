// Fails when the committed OpenAPI document or the client's generated types differ from what
// the server publishes now (`npm run generate:client` brings them up to date).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'roster-client-check-'));
const run = (command, args, options = {}) => {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
try {
  const document = join(dir, 'openapi.json');
  const types = join(dir, 'schema.d.ts');
  run(process.execPath, ['scripts/openapi.mjs', document]);
  run('npx', ['openapi-typescript', resolve(document), '-o', resolve(types)], { cwd: 'clients/typescript' });
  const stale = [
    ['clients/typescript/openapi.json', document],
    ['clients/typescript/src/schema.d.ts', types],
  ].filter(([committed, fresh]) => readFileSync(committed, 'utf8') !== readFileSync(fresh, 'utf8'));
  if (stale.length > 0) {
    console.error(
      `FAIL: ${stale.map(([file]) => file).join(' and ')} differ from what the server publishes; run npm run generate:client and commit the result.`,
    );
    process.exit(1);
  }
  console.log('client: the committed document and types match what the server publishes');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
