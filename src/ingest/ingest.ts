/**
 * Ingest: what the format readers found (src/ingest/discover.ts) → records of the corpus. Everything is validated
 * first (names, dimensions, dtypes, windows, address space) so bad input changes nothing; then every item is
 * written slab by slab (bounded memory), 16-bit data windowed to 8 bits, attachments copied, with a progress bar.
 * All items of one call land together (one corpus writer, one manifest commit) or none of them.
 *
 *   const corpus = await Corpus.open('./corpus', { create: true });
 *   const records = await ingestPath(corpus, '/data/scroll1.volpkg', { scroll: 'scroll1' });
 *   // or, with items made by hand (tests, the sample generator):
 *   await ingestItems(corpus, [{ name: 'scanA', scroll: 's1', modality: 'scan', volume, source }]);
 */
import type { Region } from '../core/region.js';
import { UserError } from '../core/errors.js';
import { progressTracker, type TaskOptions } from '../core/task.js';
import { formatBytes } from '../core/limits.js';
import { allocate, blockSize, paddedBits, type Bits3 } from '../corpus/index.js';
import type { Corpus, CorpusWriter, NewRecordMeta } from '../corpus/index.js';
import type { Manifest, RecordMeta } from '../corpus/index.js';
import { discover } from './discover.js';
import { DEFAULT_MAX_DIM } from './readers/volume-util.js';
import type { IngestItem } from './source.js';
import { applyWindow, chooseWindow, checkWindow, windowLut, type Window } from './window.js';

export interface IngestOptions {
  /** Scroll (or fragment) id for what is ingested; readers derive one from the path when missing. */
  scroll?: string;
  /** What the path holds, when its layout does not say. */
  as?: 'scan' | 'segment' | 'labels' | 'text';
  /** 16→8-bit window in source units; default: robust percentiles per volume. */
  window?: Window;
  /** Scale level of a multiscale source (OME-Zarr); default 0. */
  level?: number;
  /** Only this box of a zarr scan, in the level's voxels (`--region z0:z1,y0:y1,x0:x1`). */
  region?: Region;
  /** Largest size allowed per axis (default 65536). */
  maxDim?: number;
  /** Source bytes read per slab (default 32 MiB); memory stays a small multiple of this. */
  slabBytes?: number;
  /** Voxel size [z, y, x] in µm of everything ingested, over what the files say (for files that do not say). */
  voxelSizeUm?: [number, number, number];
}

/** What ingest will write for one item: its record name, group and block bits (validated, allocation checked). */
export interface PlannedItem {
  item: IngestItem;
  name: string;
  group?: string;
  bits: Bits3;
  base: number;
}

const DEFAULT_SLAB_BYTES = 32 << 20;

/** Find the items under `path` with the format readers (src/ingest/discover.ts). */
export async function discoverItems(path: string, opts: IngestOptions & TaskOptions = {}): Promise<IngestItem[]> {
  const { signal } = opts;
  const items = await discover(path, {
    scroll: opts.scroll,
    as: opts.as,
    window: opts.window,
    level: opts.level,
    region: opts.region,
    maxDim: opts.maxDim,
    voxelSizeUm: opts.voxelSizeUm,
    signal,
  });
  if (items.length === 0) throw new UserError(`${path}: nothing to ingest found there`);
  return items;
}

/** Discover, validate and ingest everything under `path`; returns the new records. */
export async function ingestPath(
  corpus: Corpus,
  path: string,
  opts: IngestOptions & TaskOptions = {},
): Promise<RecordMeta[]> {
  const items = await discoverItems(path, opts);
  return ingestItems(corpus, items, opts);
}

/**
 * Check every item against the manifest without writing anything: record names new and unique, dimensions within
 * the limit, dtypes supported, windows sane, and every padded block fitting the remaining address space. Items of one
 * group are placed next to each other with one shared block size. Throws a UserError naming the source file.
 */
export function planItems(manifest: Manifest, items: IngestItem[], opts: IngestOptions = {}): PlannedItem[] {
  const maxDim = opts.maxDim ?? DEFAULT_MAX_DIM;
  const names = new Set(manifest.records.map((r) => r.name));
  const groupOf = (item: IngestItem) =>
    item.group === undefined
      ? undefined
      : item.group.startsWith(`${item.scroll}/`)
        ? item.group
        : `${item.scroll}/${item.group}`;

  for (const item of items) {
    const file = item.source.path;
    const name = `${item.scroll}/${item.name}`;
    if (!item.scroll || !item.name) throw new UserError(`${file}: item has no scroll or name`);
    if (names.has(name))
      throw new UserError(`${file}: a record named '${name}' is already in the corpus (or twice in this ingest)`);
    names.add(name);
    const shape = item.volume.shape;
    if (!Array.isArray(shape) || shape.length !== 3)
      throw new UserError(`${file}: invalid shape ${JSON.stringify(shape)}`);
    shape.forEach((n, axis) => {
      if (!Number.isInteger(n) || n < 1) throw new UserError(`${file}: invalid size ${n} on axis ${'zyx'[axis]}`);
      if (n > maxDim)
        throw new UserError(
          `${file}: dimension ${'zyx'[axis]} = ${n} is over the limit of ${maxDim} per axis${partHint(item)}`,
          { file, options: ['maxDim'] },
        );
    });
    if (item.volume.dtype !== 'uint8' && item.volume.dtype !== 'uint16') {
      throw new UserError(`${file}: unsupported dtype ${String(item.volume.dtype)} (uint8 or uint16 only)`);
    }
    const window = item.window ?? opts.window;
    if (window) checkWindow(window, file);
  }

  // Group members share the largest block of the group (existing members included) and are allocated together.
  const groupBits = new Map<string, Bits3>();
  const widen = (group: string, bits: Bits3) => {
    const prev = groupBits.get(group);
    groupBits.set(
      group,
      prev ? [Math.max(prev[0], bits[0]), Math.max(prev[1], bits[1]), Math.max(prev[2], bits[2])] : bits,
    );
  };
  for (const r of manifest.records) if (r.group && r.modality !== 'prediction') widen(r.group, r.bits);
  for (const item of items) {
    const group = groupOf(item);
    if (group) widen(group, paddedBits(item.volume.shape));
  }
  const firstIndex = new Map<string, number>();
  items.forEach((item, i) => {
    const key = groupOf(item) ?? `\0${i}`;
    if (!firstIndex.has(key)) firstIndex.set(key, i);
  });
  const ordered = items
    .map((item, i) => ({ item, i, key: firstIndex.get(groupOf(item) ?? `\0${i}`)! }))
    .sort((a, b) => a.key - b.key || a.i - b.i);

  let next = manifest.next;
  return ordered.map(({ item }) => {
    const group = groupOf(item);
    const bits = group ? groupBits.get(group)! : paddedBits(item.volume.shape);
    const name = `${item.scroll}/${item.name}`;
    let base: number;
    try {
      base = allocate({ addressBits: manifest.addressBits, next }, bits, `${item.source.path} (${name})`);
    } catch (err) {
      if (err instanceof UserError && partHint(item))
        throw new UserError(`${err.message}${partHint(item)}`, { cause: err });
      throw err;
    }
    next = base + blockSize(bits);
    return { item, name, group, bits, base };
  });
}

/**
 * For a zarr source too large to take whole (a hosted scroll is hundreds of GB at level 0): how to take part of it.
 * Empty for other sources.
 */
function partHint(item: IngestItem): string {
  if (!/zarr/.test(item.source.format)) return '';
  const levels = item.extra?.levels;
  const level = typeof levels === 'number' && levels > 1 ? ` a coarser level (--level 1..${levels - 1}) or` : '';
  return `; take${level} a box of it (--region Z0:Z1,Y0:Y1,X0:X1): only the chunks it touches are read`;
}

/** Validate, then write every item as a record (all or none). */
export async function ingestItems(
  corpus: Corpus,
  items: IngestItem[],
  opts: IngestOptions & TaskOptions = {},
): Promise<RecordMeta[]> {
  const { signal } = opts;
  return corpus.withWriter(async (writer) => {
    const plan = planItems(writer.manifest, items, opts);
    const windows: Array<Window | undefined> = [];
    for (const { item } of plan) windows.push(await chooseWindow(item.volume, item.window ?? opts.window, signal));

    const bytesOf = (item: IngestItem) =>
      item.volume.shape.reduce((a, b) => a * b, 1) * (item.volume.dtype === 'uint16' ? 2 : 1);
    const total = plan.reduce((sum, p) => sum + bytesOf(p.item), 0);
    const label = plan.length === 1 ? `ingest ${plan[0]!.name}` : `ingest ${plan.length} records`;
    const bar = progressTracker(label, total, opts.onProgress, { unit: 'B' });
    const slabBytes = opts.slabBytes ?? DEFAULT_SLAB_BYTES;
    const records: RecordMeta[] = [];
    try {
      const t0 = performance.now();
      // a remote source also shows what came over the network and what the disk cache served
      const network = (v: IngestItem['volume']) => {
        const t = v.transfer?.();
        if (!t) return undefined;
        const s = Math.max(1e-3, (performance.now() - t0) / 1000);
        return {
          fetched: formatBytes(t.fetchedBytes),
          network: `${formatBytes(Math.round(t.fetchedBytes / s))}/s`,
          'from cache': formatBytes(t.cachedBytes),
        };
      };
      for (const [k, p] of plan.entries()) {
        records.push(
          await writeItem(writer, p, windows[k], slabBytes, (n) => bar.tick(n, network(p.item.volume)), signal),
        );
      }
    } finally {
      bar.done();
    }
    return records;
  });
}

async function writeItem(
  writer: CorpusWriter,
  { item, name, group, bits }: PlannedItem,
  window: Window | undefined,
  slabBytes: number,
  tick: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<RecordMeta> {
  const volume = item.volume;
  const [depth, height, width] = volume.shape;
  const bytesPerValue = volume.dtype === 'uint16' ? 2 : 1;
  const plane = height * width;
  const step = Math.max(1, Math.floor(slabBytes / (plane * bytesPerValue)));
  const lut = window ? windowLut(volume.dtype, window) : undefined;
  const meta: NewRecordMeta = {
    name,
    scroll: item.scroll,
    modality: item.modality,
    shape: [depth, height, width],
    dtype: 'uint8',
    ...(volume.voxelSizeUm ? { voxelSizeUm: volume.voxelSizeUm } : {}),
    ...(volume.energyKeV !== undefined ? { energyKeV: volume.energyKeV } : {}),
    ...(window ? { window } : {}),
    ...(volume.affine ? { affine: volume.affine } : {}),
    source: { path: item.source.path, sha256: item.source.sha256, format: item.source.format },
    ...(group ? { group } : {}),
    trainable: true,
    ...(item.extra && Object.keys(item.extra).length ? { extra: { ...item.extra } } : {}),
  };
  let out: Uint8Array | undefined;
  return writer.appendRecord(
    meta,
    async (writeSlab) => {
      // Read the next slab while the current one is windowed, downsampled, compressed and written.
      const read = (z: number) => {
        const p = volume.readSlab(z, Math.min(depth, z + step), signal);
        p.catch(() => {}); // a failure surfaces when awaited; do not let an abandoned prefetch go unhandled
        return p;
      };
      let pending = read(0);
      for (let z = 0; z < depth; z += step) {
        signal?.throwIfAborted();
        const z1 = Math.min(depth, z + step);
        const values = await pending;
        if (z1 < depth) pending = read(z1);
        const expected = (z1 - z) * plane;
        const okType = volume.dtype === 'uint16' ? values instanceof Uint16Array : values instanceof Uint8Array;
        if (values.length !== expected || !okType) {
          throw new Error(
            `${item.source.path}: reader returned ${values.length} ${values.constructor.name} values for planes [${z}, ${z1}), expected ${expected} ${volume.dtype}`,
          );
        }
        let bytes: Uint8Array;
        if (lut) bytes = out = applyWindow(values, lut, out);
        else bytes = values as Uint8Array;
        await writeSlab(z, bytes);
        tick(expected * bytesPerValue);
      }
      // Warnings found while reading (e.g. missing chunks read as fill value) stay with the record; appendRecord
      // builds the record from `meta` after fill returns.
      if (volume.warnings.length) meta.extra = { ...meta.extra, warnings: [...volume.warnings] };
    },
    { attachments: item.attachments, bits, pyramid: item.modality !== 'text' },
    signal,
  );
}
