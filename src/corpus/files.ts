/**
 * File helpers of the corpus: list a folder tree, fsync it before a rename publishes it, remove it.
 *
 *   await fsyncTree('/data/corpus/data.zarr/records/7.partial-1');
 *   await removeTree('/data/corpus/attachments/9.partial-1');
 */
import { open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/** Files fsynced at once. */
const FSYNC_CONCURRENCY = 8;

/** Every file under `dir` (a plain walk: Node 20's recursive readdir with file types can miss entries). */
export async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  await walk(dir);
  return files;
}

/** fsync every file under `dir` (so a rename that publishes it is durable), a few at a time. */
export async function fsyncTree(dir: string): Promise<void> {
  const files = await listFiles(dir);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++]!;
      const handle = await open(file, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FSYNC_CONCURRENCY, files.length) }, worker));
}

export async function removeTree(p: string): Promise<void> {
  await rm(p, { recursive: true, force: true, maxRetries: 3 });
}
