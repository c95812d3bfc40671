import { Worker } from 'node:worker_threads';

/**
 * Starts the module at `moduleUrl` (its own `import.meta.url`) on a worker
 * thread. Built, that is a `.js` file the thread runs as it is. Run from
 * sources under tsx (tests, `npm run dev`), it is a `.ts` file, and the
 * thread registers tsx itself first: Node 20 does not hand the main thread's
 * module hooks to worker threads.
 */
export function startModuleThread(moduleUrl: string, workerData: unknown): Worker {
  if (!moduleUrl.endsWith('.ts')) return new Worker(new URL(moduleUrl), { workerData });
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl)}); })`, {
    eval: true,
    workerData,
  });
}
