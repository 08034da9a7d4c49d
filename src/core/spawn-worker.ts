/**
 * Starts a worker thread that runs a TypeScript module: the worker registers tsx first, then imports the module,
 * so it works the same under `node bin/aunn.js`, tsx and vitest.
 *
 *   const w = spawnTsWorker(new URL('./train-worker.ts', import.meta.url), { workerData: init });
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

let tsxApi: string | undefined;

export function spawnTsWorker(module: URL, opts: Omit<WorkerOptions, 'eval'> = {}): Worker {
  // The ESM flavour of tsx's register API (require.resolve finds the CommonJS one next to it).
  tsxApi ??= pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(code, { ...opts, eval: true });
}
