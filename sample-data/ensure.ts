/**
 * The sample on first use: `ensureSample` returns the sample already in `out` when it was made with the same seed,
 * size and scroll name (read back from its files, nothing regenerated), and generates it otherwise. The demo calls
 * this, so a fresh clone works offline and a second run costs nothing.
 *
 *   const s = await ensureSample({ out: '.aunn/sample-s1', seed: 1 });   // ~10 s the first time, ms afterwards
 *   const again = await readSample('.aunn/sample-s1');                   // undefined when there is none
 */
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { duBytes, generateSample, sampleScrollName, type SampleOptions, type SampleSummary } from './generate.js';
import { scrollParams, type Family, type SampleSize } from './params.js';
import { LAYERS } from './segment.js';

async function readJson(file: string): Promise<any> {
  return JSON.parse(await readFile(file, 'utf8'));
}

/** The summary of the complete sample in `out`, or undefined if there is none (or it is incomplete). */
export async function readSample(out: string): Promise<SampleSummary | undefined> {
  const dir = path.resolve(out);
  try {
    const meta = await readJson(path.join(dir, 'truth', 'meta.json'));
    const size = meta.size as SampleSize;
    const family = (meta.family ?? 'dev') as Family;
    const params = scrollParams(meta.seed, size, undefined, family);
    const volpkg = path.join(dir, `${meta.scroll}.volpkg`);
    const scanADir = path.join(volpkg, 'volumes', meta.scanA);
    const scanBDir = path.join(volpkg, 'volumes', `${meta.scanB}.zarr`);
    const segDir = path.join(volpkg, 'paths', meta.segment);
    const [metaA, attrsB, segMeta, text] = await Promise.all([
      readJson(path.join(scanADir, 'meta.json')),
      readJson(path.join(scanBDir, '.zattrs')),
      readJson(path.join(segDir, 'meta.json')),
      readJson(path.join(dir, 'truth', 'text.json')),
    ]);
    const slices = (await readdir(scanADir)).filter((f) => f.endsWith('.tif')).length;
    const layers = (await readdir(path.join(segDir, 'layers'))).filter((f) => f.endsWith('.tif')).length;
    if (slices !== metaA.slices || layers !== LAYERS) return undefined;
    await stat(path.join(dir, 'previews'));
    const bytes = (
      await Promise.all([volpkg, path.join(dir, 'truth'), path.join(dir, 'previews')].map(duBytes))
    ).reduce((a, b) => a + b, 0);
    return {
      out: dir,
      scroll: meta.scroll,
      seed: meta.seed,
      size,
      family,
      volpkg,
      scanA: {
        id: meta.scanA,
        dir: scanADir,
        shape: [metaA.slices, metaA.height, metaA.width],
        voxelSizeUm: metaA.voxelsize,
        energyKeV: metaA.energy_keV,
      },
      scanB: {
        id: meta.scanB,
        dir: scanBDir,
        shape: params.scanB.shape,
        voxelSizeUm: params.scanB.voxelSizeUm,
        energyKeV: attrsB.aunn.energyKeV,
        affineToScanA: attrsB.aunn.affineToScanA,
      },
      segment: {
        id: meta.segment,
        dir: segDir,
        width: segMeta.width,
        height: segMeta.height,
        layers,
        labelledXMax: meta.labelledXMax,
      },
      damage: meta.damage ?? [],
      truth: path.join(dir, 'truth'),
      letters: {
        total: meta.letters,
        labelled: meta.letters - meta.lettersUnlabelled,
        unlabelled: meta.lettersUnlabelled,
        columns: text.columns.length,
        linesPerColumn: text.columns[0].lines.length,
      },
      cnrLayer32: meta.cnrLayer32,
      seconds: 0,
      bytes,
    };
  } catch {
    return undefined;
  }
}

/** The sample in `out` if it matches (seed, size, scroll, damage), else a freshly generated one (replacing what was there). */
export async function ensureSample(opts: SampleOptions): Promise<SampleSummary> {
  const seed = opts.seed ?? 1;
  const size = opts.size ?? 'small';
  const family = opts.family ?? 'dev';
  const scroll = opts.scroll ?? sampleScrollName(seed, family);
  const damage = [...new Set(opts.damage ?? [])];
  const have = await readSample(opts.out);
  const sameDamage = (d: SampleSummary['damage']) => d.map((x) => x.kind).join() === damage.join();
  if (
    have &&
    have.seed === seed &&
    have.size === size &&
    have.family === family &&
    have.scroll === scroll &&
    sameDamage(have.damage)
  )
    return have;
  const fresh = await generateSample({ ...opts, force: true });
  // Another scroll was there: its volpkg goes too (truth/ and previews/ were replaced).
  if (have && have.scroll !== scroll) await rm(have.volpkg, { recursive: true, force: true });
  return fresh;
}
