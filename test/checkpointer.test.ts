// SQLite checkpoints from a thread of the server's own (src/db/checkpointer.ts): the serving
// connection never copies the log into the database file itself (below its 40 MB safety net).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/dialect.js';

async function writeAndWatch(
  backgroundCheckpoints: boolean,
): Promise<{ before: number; after: number; autocheckpoint: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'roster-checkpoint-'));
  const path = join(dir, 'roster.db');
  const handle = await openDatabase(`sqlite:${path}`, { backgroundCheckpoints });
  try {
    await sql`create table blobs (id integer primary key, body text not null)`.execute(handle.db);
    const before = statSync(path).size;
    // About 2 MB in 200 commits: under the automatic checkpoint of 1,000 pages (4 MB) either way.
    const body = 'x'.repeat(10_000);
    for (let i = 0; i < 200; i++) await sql`insert into blobs (body) values (${body})`.execute(handle.db);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const autocheckpoint = Number(
      (await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(handle.db)).rows[0]!
        .wal_autocheckpoint,
    );
    return { before, after: statSync(path).size, autocheckpoint };
  } finally {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('SQLite checkpoints', () => {
  it('are made by the background thread when asked for: the database file grows while the serving connection never checkpoints', async () => {
    const background = await writeAndWatch(true);
    assert.equal(background.autocheckpoint, 10_000, 'the serving connection keeps only a safety net');
    assert.ok(background.after > background.before + 1_000_000, `${background.before} -> ${background.after} bytes`);
  });

  it('stay on commits otherwise (the command line, tests): 2 MB stay in the log', async () => {
    const inline = await writeAndWatch(false);
    assert.equal(inline.autocheckpoint, 1000);
    assert.ok(inline.after < inline.before + 1_000_000, `${inline.before} -> ${inline.after} bytes`);
  });
});
