/**
 * SQLite checkpoints off the request path. In WAL mode a commit that makes
 * the log pass 1,000 pages copies it into the database file and syncs it, on
 * the connection that serves requests: about one request in a hundred then
 * waits for a disk sync (20 ms here). The server instead turns the automatic
 * checkpoint down to a safety net and runs passive checkpoints from a thread
 * of its own, with its own connection: they never take the write lock, so
 * writers go on meanwhile.
 */
import { isMainThread, parentPort, type Worker, workerData } from 'node:worker_threads';
import { startModuleThread } from './threads.js';

/** How often the thread checkpoints. */
const EVERY_MS = 200;
/** The automatic checkpoint of the serving connection, left as a safety net (pages: 40 MB). */
export const SAFETY_NET_PAGES = 10_000;

const ROLE = 'roster-sqlite-checkpointer';

/** Starts checkpointing the database file at `path`; the answer stops it. */
export function startCheckpointer(path: string): () => Promise<void> {
  const thread: Worker = startModuleThread(import.meta.url, { role: ROLE, path });
  thread.unref();
  return async () => {
    // Kept alive until it has closed its connection.
    thread.ref();
    thread.postMessage('stop');
    await new Promise<void>((resolve) => {
      // A thread stuck in a sync is ended.
      const timer = setTimeout(() => void thread.terminate(), 2000);
      thread.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  };
}

if (!isMainThread && parentPort && (workerData as { role?: string } | null)?.role === ROLE) {
  const port = parentPort;
  const { default: Sqlite } = await import('better-sqlite3');
  const sqlite = new Sqlite((workerData as { path: string }).path);
  sqlite.pragma('busy_timeout = 1000');
  const timer = setInterval(() => {
    try {
      sqlite.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy (another process checkpoints) or gone: the next round tries again.
    }
  }, EVERY_MS);
  port.on('message', (message) => {
    if (message !== 'stop') return;
    clearInterval(timer);
    sqlite.close();
    port.close();
  });
}
