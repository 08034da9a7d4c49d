/**
 * Damaged scans: what the AUNN's gap filling has to beat. Test-family scrolls with a quarter of scan A's slices missing
 * (0) and another quarter far noisier (`aunn sample --damage missing-slab,noise`), read as a user would: the ink
 * readout trained on the labelled columns, then, in the unlabelled columns, ink F0.5 (at the readout's threshold) and
 * AUC in the rows of each damage and in the intact rows, read from
 *   - the observed layers (sampled from the damaged scan),
 *   - the layers with the missing rows interpolated linearly from the intact rows beside them (missing slab only),
 * and the surface layer's PSNR against the clean scan sampled there (truth/layer32_clean.tif; peak = papyrus − air)
 * for the raw layer and for a classical denoiser (Gaussian blur, σ = 1 px). Mean, sd, min over scrolls.
 *
 *   npm run bench -- --only damage             # test seeds 1-6
 *   npm run bench -- --only damage --quick     # 2 scrolls, shorter readout
 *
 * AUNN_DAMAGE_SEEDS, AUNN_DAMAGE_STEPS (readout steps, default 150 as `aunn ink`), AUNN_DAMAGE_FAMILY (default test).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fromArrayBuffer } from 'geotiff';
import type { BenchOptions, Emit } from '../src/cli/commands/bench.js';
import { Corpus } from '../src/corpus/index.js';
import { ingestPath } from '../src/ingest/ingest.js';
import {
  loadCorpusSegment,
  predictReadout,
  readGrayImage,
  scoreInk,
  trainReadout,
  withoutMissingData,
  type InkSegment,
} from '../src/ink/index.js';
import { blurMap } from '../src/lm-conditioning/reading/ink-map.js';
import { ensureSample, type Family, type SampleDamage } from '../sample-data/index.js';
import { MetricStats, seedList } from './summary-stats.js';

export const name = 'damage';
export const description =
  'damaged scan A (missing slab, noisy slab): ink F0.5 and layer PSNR there from the observed layers and the baselines the AUNN must beat';

async function readUint16Tiff(file: string): Promise<{ data: Uint16Array; width: number; height: number }> {
  const b = await readFile(file);
  const tiff = await fromArrayBuffer(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  const img = await tiff.getImage();
  const [band] = (await img.readRasters()) as unknown as Uint16Array[];
  return { data: band!, width: img.getWidth(), height: img.getHeight() };
}

/** Rows [r0, r1) of a [H, W] mask, less a row each side (trilinear sampling blends a slab's edge rows). */
function rowMask(base: Uint8Array, width: number, rows: [number, number][], inside: boolean): Uint8Array {
  const out = new Uint8Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const r = Math.floor(i / width);
    const hit = rows.some(([a, b]) => (inside ? r > a && r < b - 1 : r >= a - 2 && r < b + 2));
    out[i] = base[i] && hit === inside ? 1 : 0;
  }
  return out;
}

/** The layers with rows [r0, r1) of every layer interpolated linearly between rows r0 − 1 and r1 (on the sheet again). */
function interpolateRows(seg: InkSegment, [r0, r1]: [number, number], sheetMask: Uint8Array): InkSegment {
  const { depth, height: H, width: W } = seg;
  const layers = seg.layers.slice();
  const above = Math.max(0, r0 - 1);
  const below = Math.min(H - 1, r1);
  for (let d = 0; d < depth; d++)
    for (let r = r0; r < r1; r++) {
      const t = (r - above) / Math.max(1, below - above);
      for (let x = 0; x < W; x++) {
        const a = seg.layers[(d * H + above) * W + x]!;
        const b = seg.layers[(d * H + below) * W + x]!;
        layers[(d * H + r) * W + x] = Math.round((1 - t) * a + t * b);
      }
    }
  return withoutMissingData({ ...seg, layers, sheetMask });
}

function psnr(a: ArrayLike<number>, b: ArrayLike<number>, mask: Uint8Array, peak: number): number {
  let se = 0;
  let n = 0;
  for (let i = 0; i < mask.length; i++)
    if (mask[i]) {
      se += (a[i]! - b[i]!) ** 2;
      n++;
    }
  return n ? 10 * Math.log10((peak * peak) / (se / n)) : NaN;
}

export async function run(emit: Emit, opts: BenchOptions): Promise<void> {
  const family = (process.env.AUNN_DAMAGE_FAMILY ?? 'test') as Family;
  const seeds = seedList(process.env.AUNN_DAMAGE_SEEDS ?? (opts.quick ? '1-2' : '1-6'));
  const steps = Number(process.env.AUNN_DAMAGE_STEPS ?? (opts.quick ? 40 : 150));
  emit('family', family);
  emit('seeds', `${seeds[0]}..${seeds[seeds.length - 1]} (${seeds.length})`);
  emit('readout steps', steps, 'steps');
  const stats = new MetricStats();
  for (const seed of seeds) {
    const out = path.join(opts.tmpDir, `${family}-s${seed}-damaged`);
    const sample = await ensureSample({ out, seed, family, size: 'small', damage: ['missing-slab', 'noise'] });
    const corpus = await Corpus.open(path.join(out, 'corpus'), { create: true });
    if (!corpus.manifest.records.length) await ingestPath(corpus, sample.volpkg, {});
    const seg = (await loadCorpusSegment(corpus, `${sample.scroll}/${sample.segment.id}`)).segment;
    const truth = await readGrayImage(path.join(sample.truth, 'inklabels.png'), seg);
    const { readout } = await trainReadout([seg], { maxSteps: steps, maxSeconds: 3600, seed: 1 });
    // Scored on the segment's own mask (its valid area), not the sheet the loader keeps, which leaves out pixels
    // without data (the missing slab).
    const fileMask = await readGrayImage(path.join(sample.segment.dir, `${sample.segment.id}_mask.png`), seg);
    const xMax = sample.segment.labelledXMax;
    const unlabelled = Uint8Array.from(fileMask, (v, i) => (v > 127 && i % seg.width >= xMax ? 1 : 0));
    const byKind = (k: SampleDamage['kind']) => sample.damage.find((d) => d.kind === k)!;
    const slab = byKind('missing-slab');
    const noise = byKind('noise');
    const regions = {
      'missing slab': rowMask(unlabelled, seg.width, [slab.rows], true),
      'noisy slab': rowMask(unlabelled, seg.width, [noise.rows], true),
      intact: rowMask(
        unlabelled,
        seg.width,
        sample.damage.map((d) => d.rows),
        false,
      ),
    };
    const observed = await predictReadout(readout, seg);
    const sheet = Uint8Array.from(fileMask, (v) => (v > 127 ? 1 : 0));
    const interpolated = await predictReadout(readout, interpolateRows(seg, slab.rows, sheet));
    for (const [region, mask] of Object.entries(regions)) {
      const ink = scoreInk(observed, truth, mask, readout.threshold);
      stats.add(`${region} · ink F0.5 (observed layers)`, ink.f05);
      stats.add(`${region} · ink AUC (observed layers)`, ink.auc);
    }
    const interp = scoreInk(interpolated, truth, regions['missing slab'], readout.threshold);
    stats.add('missing slab · ink F0.5 (interpolated rows)', interp.f05);
    stats.add('missing slab · ink AUC (interpolated rows)', interp.auc);

    // Layer fidelity at the surface, in the scan's own uint16 units, against the clean scan sampled there.
    const meta = JSON.parse(await readFile(path.join(sample.truth, 'meta.json'), 'utf8')) as {
      uint16: { air: number; papyrus: number };
    };
    const peak = meta.uint16.papyrus - meta.uint16.air;
    const raw = await readUint16Tiff(path.join(sample.segment.dir, 'layers', '32.tif'));
    const clean = await readUint16Tiff(path.join(sample.truth, 'layer32_clean.tif'));
    const denoised = blurMap({ width: raw.width, height: raw.height, data: Float32Array.from(raw.data) }, 1).data;
    const everywhere = {
      'missing slab': rowMask(sheet, seg.width, [slab.rows], true),
      'noisy slab': rowMask(sheet, seg.width, [noise.rows], true),
      intact: rowMask(
        sheet,
        seg.width,
        sample.damage.map((d) => d.rows),
        false,
      ),
    };
    for (const [region, mask] of Object.entries(everywhere)) {
      stats.add(`${region} · layer 32 PSNR vs clean (raw, dB)`, psnr(raw.data, clean.data, mask, peak));
      stats.add(`${region} · layer 32 PSNR vs clean (Gaussian σ 1, dB)`, psnr(denoised, clean.data, mask, peak));
    }
    emit(
      `${family} s${seed} ink F0.5 missing / noisy / intact`,
      [regions['missing slab'], regions['noisy slab'], regions.intact]
        .map((m) => scoreInk(observed, truth, m, readout.threshold).f05.toFixed(3))
        .join(' / '),
    );
  }
  stats.emit(emit);
}
