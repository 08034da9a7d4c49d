/**
 * A folder's writer lock (the corpus's, a model folder's): DIR/.lock created with O_EXCL and holding the writer's pid.
 * A second writer gets a UserError naming the pid; a lock left by a dead process (kill -9) is taken over.
 *
 *   const release = await acquireLock('/data/corpus');
 *   try { ... } finally { await release(); }
 *   const maybe = await tryLock('/data/corpus');        // undefined when a live process holds it
 */
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from './errors.js';

export const LOCK_FILE = '.lock';
/** A lock file with no readable pid older than this is considered stale (its writer died while creating it). */
const EMPTY_LOCK_STALE_MS = 10_000;

export type Release = () => Promise<void>;

/**
 * Take the lock or throw `UserError("corpus DIR is locked by pid N (another aunn process is writing)")`. Waits up to
 * `waitMs` first, so a reader's brief cleanup (Corpus.open) does not fail a writer that starts at the same moment.
 */
export async function acquireLock(dir: string, waitMs = 1500, what = 'corpus'): Promise<Release> {
  const until = Date.now() + waitMs;
  for (let delay = 25; ; delay = Math.min(250, delay * 2)) {
    const result = await lockOnce(dir);
    if (typeof result === 'function') return result;
    if (Date.now() + delay > until) {
      throw new UserError(`${what} ${dir} is locked by pid ${result.pid ?? '?'} (another aunn process is writing)`, {
        file: dir,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** Take the lock if no live process holds it; undefined otherwise. */
export async function tryLock(dir: string): Promise<Release | undefined> {
  const result = await lockOnce(dir);
  return typeof result === 'function' ? result : undefined;
}

async function lockOnce(dir: string): Promise<Release | { pid?: number }> {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(`${process.pid}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      return () => releaseLock(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readHolder(file);
    if (holder === 'gone') continue;
    if (holder.pid !== undefined ? isAlive(holder.pid) : Date.now() - holder.mtimeMs < EMPTY_LOCK_STALE_MS) {
      return { pid: holder.pid };
    }
    // Stale: move it aside atomically (only one taker's rename succeeds), check it is the one we judged, drop it.
    const aside = `${file}.stale-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    try {
      await rename(file, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const moved = await readHolder(aside);
    if (moved !== 'gone' && moved.pid !== holder.pid && moved.pid !== undefined && isAlive(moved.pid)) {
      // Someone else took it over between our read and rename: give it back.
      await rename(aside, file).catch(() => {});
      return { pid: moved.pid };
    }
    await unlink(aside).catch(() => {});
  }
  const holder = await readHolder(file);
  return { pid: holder === 'gone' ? undefined : holder.pid };
}

async function readHolder(file: string): Promise<{ pid?: number; mtimeMs: number } | 'gone'> {
  try {
    const [text, st] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    const pid = Number.parseInt(text.trim(), 10);
    return { pid: Number.isInteger(pid) && pid > 0 ? pid : undefined, mtimeMs: st.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
}

/** Whether a process with this pid is running (EPERM: it is, under another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function releaseLock(file: string): Promise<void> {
  const holder = await readHolder(file);
  if (holder !== 'gone' && holder.pid === process.pid) await unlink(file).catch(() => {});
}
