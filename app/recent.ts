/**
 * The recent-corpora list (most recent first, at most 10), kept as JSON in the app's user-data folder.
 *
 *   const recent = new RecentCorpora(path.join(app.getPath('userData'), 'recent.json'));
 *   await recent.add('/data/corpus');
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export class RecentCorpora {
  constructor(
    readonly file: string,
    readonly max = 10,
  ) {}

  async list(): Promise<string[]> {
    try {
      const v = JSON.parse(await readFile(this.file, 'utf8')) as unknown;
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, this.max) : [];
    } catch {
      return [];
    }
  }

  async add(dir: string): Promise<string[]> {
    const next = [dir, ...(await this.list()).filter((d) => d !== dir)].slice(0, this.max);
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, JSON.stringify(next, null, 1));
    await rename(tmp, this.file);
    return next;
  }
}
