/**
 * The bad-input table, end to end: each bad input goes to `aunn ingest` in its own process (under /usr/bin/time
 * for its peak RSS) against a corpus that already holds one good scan. For each it checks a non-zero exit, one
 * line on stderr naming the input, and the corpus unchanged (every file's path, size and mtime); it prints how
 * many of the inputs passed each check, the worst peak RSS and the longest time to refuse.
 *
 *   npm run bench -- --only robustness --json
 */
import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import type { BenchOptions, Emit } from '../src/cli/commands/bench.js';

export const name = 'robustness';
export const description = 'bad inputs to aunn ingest: refused in one line, corpus unchanged, peak RSS, time to refuse';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(ROOT, 'test/fixtures');
const AUNN = path.join(ROOT, 'bin/aunn.js');
/** The good scan (tifffile's big-endian 16-bit pages). */
const GOOD_TIFF = path.join(FIXTURES, 'tiff', 'multipage16-be.tif');

/** A line of src/cli/progress.ts off a TTY ("ingest x: 0% 0.0 MB/s ETA ?"). */
const PROGRESS_LINE = /^.+: \d+(\.\d+)?% \S+ ?\S*\/s ETA \S+/;

interface Case {
  name: string;
  /** Writes the input under `dir`; returns the ingest arguments (the input first) and the name the line must carry. */
  make(dir: string): Promise<{ args: string[]; names: string }> | { args: string[]; names: string };
  /** Extra environment (the network timeout). */
  env?: Record<string, string>;
}

/** A 64x64 uint16 baseline TIFF with one deflate strip holding `strip`. */
function deflateTiff(strip: Uint8Array): Buffer {
  const tags: [number, number, number][] = [
    [256, 3, 64],
    [257, 3, 64],
    [258, 3, 16],
    [259, 3, 8],
    [262, 3, 1],
    [273, 4, 0],
    [277, 3, 1],
    [278, 3, 64],
    [279, 4, strip.length],
  ];
  const dataAt = 8 + 2 + tags.length * 12 + 4;
  const buf = Buffer.alloc(dataAt + strip.length);
  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(8, 4);
  buf.writeUInt16LE(tags.length, 8);
  tags.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    buf.writeUInt16LE(tag, at);
    buf.writeUInt16LE(type, at + 2);
    buf.writeUInt32LE(1, at + 4);
    const v = tag === 273 ? dataAt : value;
    if (type === 3) buf.writeUInt16LE(v, at + 8);
    else buf.writeUInt32LE(v, at + 8);
  });
  Buffer.from(strip).copy(buf, dataAt);
  return buf;
}

function zarrCopy(dir: string, fixture: string): string {
  const target = path.join(dir, path.basename(fixture));
  cpSync(path.join(FIXTURES, 'zarr', fixture), target, { recursive: true });
  return target;
}

function cases(quick: boolean): Case[] {
  const bombBytes = quick ? 64 << 20 : 1 << 30;
  const all: Case[] = [
    {
      name: `deflate TIFF strip inflating to ${bombBytes >> 20} MiB`,
      make: (d) => {
        const f = path.join(d, 'bomb.tif');
        writeFileSync(f, deflateTiff(deflateSync(Buffer.alloc(bombBytes))));
        return { args: [f], names: 'bomb.tif' };
      },
    },
    {
      name: 'gzip zarr chunk inflating to 64 MiB',
      make: (d) => {
        const z = zarrCopy(d, 'v2-gzip-u8.zarr');
        writeFileSync(path.join(z, '1.0.1'), gzipSync(Buffer.alloc(64 << 20)));
        return { args: [z], names: 'v2-gzip-u8.zarr' };
      },
    },
    {
      name: 'blosc chunk header claiming 1 GiB',
      make: (d) => {
        const z = zarrCopy(d, 'v2-blosc-u16.zarr');
        const chunk = readdirSync(z).find((f) => /^\d+\.\d+\.\d+$/.test(f))!;
        const bytes = readFileSync(path.join(z, chunk));
        bytes.writeUInt32LE(1 << 30, 4);
        writeFileSync(path.join(z, chunk), bytes);
        return { args: [z], names: 'v2-blosc-u16.zarr' };
      },
    },
    {
      name: 'zarr chunk shape decoding to 128 GiB',
      make: (d) => {
        const z = zarrCopy(d, 'v2-gzip-u8.zarr');
        const meta = JSON.parse(readFileSync(path.join(z, '.zarray'), 'utf8'));
        writeFileSync(path.join(z, '.zarray'), JSON.stringify({ ...meta, dtype: '<u2', chunks: [4096, 4096, 4096] }));
        return { args: [z], names: 'v2-gzip-u8.zarr' };
      },
    },
    {
      name: 'MetaImage header claiming 60000^3 voxels',
      make: (d) => {
        const f = path.join(d, 'huge.mha');
        writeFileSync(
          f,
          'ObjectType = Image\nNDims = 3\nDimSize = 60000 60000 60000\nElementType = MET_USHORT\nElementDataFile = LOCAL\n\0\0',
        );
        return { args: [f], names: 'huge.mha' };
      },
    },
    {
      name: 'NIfTI header claiming 4000^3 voxels',
      make: (d) => {
        const header = gunzipSync(readFileSync(path.join(FIXTURES, 'nifti/nibabel-u16.nii.gz')));
        for (const at of [42, 44, 46]) header.writeInt16LE(4000, at);
        const f = path.join(d, 'huge.nii.gz');
        writeFileSync(f, gzipSync(header));
        return { args: [f], names: 'huge.nii.gz' };
      },
    },
    {
      name: 'text file over the text limit (sparse 65 MiB)',
      make: async (d) => {
        const f = path.join(d, 'big.txt');
        const fh = await open(f, 'w');
        await fh.truncate(65 << 20);
        await fh.close();
        return { args: [f, '--as', 'text'], names: 'big.txt' };
      },
    },
    { name: '/dev/zero as text', make: () => ({ args: ['/dev/zero', '--as', 'text'], names: '/dev/zero' }) },
    {
      name: 'a FIFO',
      make: (d) => {
        const f = path.join(d, 'pipe.tif');
        execFileSync('mkfifo', [f]);
        return { args: [f], names: 'pipe.tif' };
      },
    },
    {
      name: 'a symlink loop',
      make: (d) => {
        const f = path.join(d, 'loop.tif');
        symlinkSync(f, f);
        return { args: [f], names: 'loop.tif' };
      },
    },
    {
      name: 'truncated TIFF',
      make: (d) => {
        const good = readFileSync(GOOD_TIFF);
        const f = path.join(d, 'truncated.tif');
        writeFileSync(f, good.subarray(0, Math.floor(good.length / 2)));
        return { args: [f], names: 'truncated.tif' };
      },
    },
    {
      name: 'random bytes named .tif',
      make: (d) => {
        const f = path.join(d, 'noise.tif');
        writeFileSync(f, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)));
        return { args: [f], names: 'noise.tif' };
      },
    },
    {
      name: 'empty file',
      make: (d) => {
        const f = path.join(d, 'empty.nrrd');
        writeFileSync(f, '');
        return { args: [f], names: 'empty.nrrd' };
      },
    },
    {
      name: 'OBJ with a NaN vertex and a face out of range',
      make: (d) => {
        const f = path.join(d, 'bad.obj');
        writeFileSync(f, 'v 0 0 0\nv nan 1 0\nv 1 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nf 1/1 2/2 9/3\n');
        return { args: [f, '--as', 'segment'], names: 'bad.obj' };
      },
    },
    {
      name: "--scroll '..'",
      make: () => ({ args: [GOOD_TIFF, '--scroll', '..'], names: '..' }),
    },
    {
      name: 'zarr URL whose server never answers',
      env: { AUNN_HTTP_TIMEOUT_MS: '3000' },
      make: async () => ({ args: [`${await silentServer()}/scan.zarr`], names: 'scan.zarr' }),
    },
  ];
  return quick ? all.filter((_, i) => [0, 3, 7, 8].includes(i)) : all;
}

/** An http server that accepts connections and never answers. */
async function silentServer(): Promise<string> {
  const server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Every file under `dir` with its size and mtime: equal snapshots mean the corpus was not touched. */
function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = statSync(p);
        out.push(`${path.relative(dir, p)} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out.join('\n');
}

function runIngest(
  args: string[],
  corpus: string,
  env: Record<string, string>,
): Promise<{ code: number; lines: string[]; rssKiB: number; seconds: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/time',
      ['-f', '@rss %M', process.execPath, AUNN, 'ingest', ...args, '--corpus', corpus],
      { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 16 << 20 },
      (err, _stdout, stderr) => {
        const all = stderr.split('\n').filter((l) => l.trim());
        const rss = all.find((l) => l.startsWith('@rss '));
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          // GNU time adds "Command exited with non-zero status N" and its own line; progress lines are not messages.
          lines: all.filter(
            (l) => !l.startsWith('@rss ') && !l.startsWith('Command exited with') && !PROGRESS_LINE.test(l),
          ),
          rssKiB: rss ? Number(rss.slice(5)) : NaN,
          seconds: (performance.now() - t0) / 1000,
        });
      },
    );
  });
}

export async function run(emit: Emit, opts: BenchOptions): Promise<void> {
  const corpus = path.join(opts.tmpDir, 'corpus');
  const inputs = path.join(opts.tmpDir, 'inputs');
  mkdirSync(inputs, { recursive: true });
  const seed = await runIngest([GOOD_TIFF], corpus, {});
  if (seed.code !== 0) throw new Error(`robustness: could not ingest the good scan: ${seed.lines.join(' / ')}`);
  let refused = 0;
  let oneLine = 0;
  let unchanged = 0;
  let worstRss = 0;
  let worstRssCase = '';
  let longest = 0;
  let longestCase = '';
  const table = cases(opts.quick);
  for (const [i, c] of table.entries()) {
    const dir = path.join(inputs, String(i));
    mkdirSync(dir, { recursive: true });
    const { args, names } = await c.make(dir);
    const before = snapshot(corpus);
    const r = await runIngest(args, corpus, c.env ?? {});
    const ok1 = r.code !== 0;
    const ok2 = r.lines.length === 1 && r.lines[0]!.includes(names);
    const ok3 = snapshot(corpus) === before;
    refused += ok1 ? 1 : 0;
    oneLine += ok1 && ok2 ? 1 : 0;
    unchanged += ok3 ? 1 : 0;
    if (r.rssKiB > worstRss) [worstRss, worstRssCase] = [r.rssKiB, c.name];
    if (r.seconds > longest) [longest, longestCase] = [r.seconds, c.name];
    const mark = ok1 && ok2 && ok3 ? 'ok  ' : 'FAIL';
    process.stderr.write(
      `${mark} ${c.name}: exit ${r.code}, ${r.lines.length} line(s), ${(r.rssKiB / 1024).toFixed(0)} MiB, ${r.seconds.toFixed(1)} s${ok2 ? '' : ` | ${r.lines.join(' / ').slice(0, 300)}`}${ok3 ? '' : ' | CORPUS CHANGED'}\n`,
    );
  }
  emit('inputs tried', table.length, 'inputs');
  emit('refused (non-zero exit)', refused, 'inputs');
  emit('refused with one line naming the input', oneLine, 'inputs');
  emit('corpus unchanged', unchanged, 'inputs');
  emit('worst peak RSS', Math.round(worstRss / 1024), 'MiB');
  emit('worst peak RSS case', worstRssCase);
  emit('longest time to refuse', Number(longest.toFixed(2)), 's');
  emit('longest case', longestCase);
}
