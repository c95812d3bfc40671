// Writes the OpenAPI document the server publishes: starts the built server (`dist/`) on a
// fresh SQLite file in a temporary directory, fetches /openapi.json and stops it.
//   node scripts/openapi.mjs [output]   (default: clients/typescript/openapi.json)
// The document is written with ROSTER_PUBLIC_URL unset (servers: "/"), so that it does not
// depend on where it was generated.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const output = process.argv[2] ?? 'clients/typescript/openapi.json';
const dir = mkdtempSync(join(tmpdir(), 'roster-openapi-'));
const { ROSTER_PUBLIC_URL: _ignored, ...env } = process.env;
const server = spawn(process.execPath, ['dist/server.js'], {
  env: {
    ...env,
    ROSTER_DATABASE_URL: `sqlite:${join(dir, 'roster.db')}`,
    ROSTER_PORT: '0',
    ROSTER_ADMIN_PASSWORD: 'openapi-document-only',
    ROSTER_LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const url = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/[\d.:]+)/i.exec(out);
      if (match) resolve(match[1]);
    });
    server.once('exit', (code) => reject(new Error(`the server exited with ${code}: ${out}`)));
  });
  const response = await fetch(`${url}/openapi.json`);
  if (!response.ok) throw new Error(`GET /openapi.json answered ${response.status}`);
  writeFileSync(output, `${JSON.stringify(await response.json(), null, 2)}\n`);
  console.log(`openapi: wrote ${output}`);
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
