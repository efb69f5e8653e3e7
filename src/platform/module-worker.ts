import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running one of Riposte's modules, named by its built
 * `.js` URL. Built (`dist/`), the thread loads that file. Run from the
 * sources (tsx, the test runner), only the `.ts` sibling exists, and Node 20
 * does not pass loader hooks on to a thread: the thread then registers tsx's
 * own hooks before it requires the module.
 *
 * @example
 * const worker = startModuleWorker(new URL('./users-check.worker.js', import.meta.url), { workerData });
 */
export function startModuleWorker(url: URL, options: WorkerOptions = {}): Worker {
  const file = fileURLToPath(url);
  if (fs.existsSync(file)) return new Worker(url, options);
  const source = file.replace(/\.js$/, '.ts');
  if (!fs.existsSync(source))
    throw new Error(`No module at ${file} nor ${source}: build Riposte (npm run build) or run it from its sources.`);
  const tsx = createRequire(import.meta.url).resolve('tsx/cjs');
  return new Worker(`require(${JSON.stringify(tsx)});\nrequire(${JSON.stringify(source)});`, { ...options, eval: true });
}
