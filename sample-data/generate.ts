/**
 * `generateSample`: makes one synthetic carbonized scroll in the Vesuvius Challenge layout, with its truth kept apart.
 * Deterministic: the same seed and size give the same bytes. Physics in physics.ts, geometry in spiral.ts, the scribe
 * in glyphs.ts/layout.ts, the segment in segment.ts. Text: SBL Greek New Testament (CC BY 4.0), the sample books only (never LM training or held-out text).
 *
 *   const summary = await generateSample({ out: '/tmp/s1', seed: 1, size: 'small' });
 *   // /tmp/s1/sample-s1.volpkg/{config.json, volumes/<A>/00000.tif…, volumes/<B>.zarr, paths/<seg>/…}
 *   // /tmp/s1/truth/{inklabels.png, text.json, letters.json, meta.json, scanA_clean/}, /tmp/s1/previews/*.png
 */
import { mkdir, mkdtemp, rename, rm, stat, writeFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../src/core/errors.js';
import { loadSblgnt } from '../src/lm-conditioning/greek-text.js';
import { labelGlyph, glyphBox } from './glyphs.js';
import { planText, renderInk, shiftGlyph, type TextPlan } from './layout.js';
import { inkContrastToNoise } from './measure.js';
import {
  DAMAGE_KINDS,
  DAMAGE_NOISE_GAIN,
  FAMILIES,
  scribeOf,
  SAMPLE_SIZES,
  scrollParams,
  type Damage,
  type DamageKind,
  type Family,
  type SampleSize,
  type ScrollParams,
} from './params.js';
import {
  AIR,
  applyScanner,
  IDENTITY_FRAME,
  makeFields,
  renderSlice,
  toUint16,
  UINT16_GAIN,
  UINT16_OFFSET,
  type World,
} from './physics.js';
import { Rng, seedFrom } from './rng.js';
import {
  LAYERS,
  meshObj,
  sampleLayers,
  segmentSurface,
  SURFACE_DEPTH,
  SURFACE_LAYER,
  surfaceMask,
  type Surface,
} from './segment.js';
import { Sheet } from './spiral.js';
import { downsample2x, writeOmeZarr } from './writers/ome-zarr.js';
import { encodeGrayPng, encodeRgbPng, percentile, windowTo8bit } from './writers/png.js';
import { encodeTiff } from '../src/formats/tiff-writer.js';

export interface SampleOptions {
  out: string;
  seed?: number;
  size?: SampleSize;
  /** Which family the seed belongs to (default dev; test scrolls are only for reporting). */
  family?: Family;
  /** Scroll name; default `sample-s<seed>` (dev) or `test-s<seed>`. */
  scroll?: string;
  /** Replace an earlier sample in `out` (its volpkg, truth/ and previews/). */
  force?: boolean;
  /** Damage scan A (params.ts damageFor): a slab of slices missing (0) or far noisier; none by default. Its layers
   *  are sampled from the damaged scan, as a real segment would be; truth/meta.json says where. */
  damage?: DamageKind[];
  onProgress?: (e: { stage: string; done: number; total: number }) => void;
  signal?: AbortSignal;
}

export interface SampleSummary {
  out: string;
  scroll: string;
  seed: number;
  size: SampleSize;
  family: Family;
  volpkg: string;
  scanA: { id: string; dir: string; shape: [number, number, number]; voxelSizeUm: number; energyKeV: number };
  scanB: {
    id: string;
    dir: string;
    shape: [number, number, number];
    voxelSizeUm: number;
    energyKeV: number;
    affineToScanA: number[];
  };
  segment: { id: string; dir: string; width: number; height: number; layers: number; labelledXMax: number };
  /** Damage to the scans, with the segment rows [r0, r1) it falls on (empty: none). */
  damage: SampleDamage[];
  truth: string;
  letters: { total: number; labelled: number; unlabelled: number; columns: number; linesPerColumn: number };
  /** Contrast-to-noise ratio of the truth ink at layer 32 (see measure.ts). */
  cnrLayer32: number;
  seconds: number;
  bytes: number;
}

export const LABELLED_FRACTION = 1 / 3;

export interface SampleDamage extends Damage {
  rows: [number, number];
}

/** Segment rows of a slab of scan-A slices: row = H − 1 − z (sample-data/README.md). */
export function damageRows(d: Damage, height: number): SampleDamage {
  return { ...d, rows: [Math.max(0, height - d.z[1]), Math.min(height, height - d.z[0])] };
}

/** A missing slab reads 0; a noisy one gets DAMAGE_NOISE_GAIN times the scan's Gaussian noise on top of its own. */
function damageScan(
  vol: Float32Array,
  shape: [number, number, number],
  damage: Damage[],
  scan: ScrollParams['scanA'],
  rng: Rng,
): void {
  const slice = shape[1] * shape[2];
  for (const d of damage) {
    const from = d.z[0] * slice;
    const to = Math.min(shape[0], d.z[1]) * slice;
    if (d.kind === 'missing-slab') vol.fill(-UINT16_OFFSET / UINT16_GAIN, from, to);
    else for (let i = from; i < to; i++) vol[i]! += DAMAGE_NOISE_GAIN * scan.gaussNoise * scan.papyrus * rng.gauss();
  }
}

const TEXT_CREDIT =
  'Text: SBL Greek New Testament (SBLGNT), Society of Biblical Literature and Logos Bible Software, CC BY 4.0';

/** A Vesuvius-style timestamp id (YYYYMMDDhhmmss) that depends only on the seed. */
function stampId(seed: number, hours: number): string {
  const d = new Date(Date.UTC(2026, 0, 1, 12) + (seed % 3650) * 86_400_000 + hours * 3_600_000 + (seed % 60) * 60_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** The default scroll name of a family member. */
export function sampleScrollName(seed: number, family: Family = 'dev'): string {
  return family === 'dev' ? `sample-s${seed}` : `${family}-s${seed}`;
}

/**
 * The scroll's text: a stretch of a sample book (Acts, which the LM never trains on) from the seed's start, or
 * words of the training books' lexicon drawn uniformly in random order (every word is Greek the LM has seen, no
 * phrase is: the LM cannot recall what comes next).
 */
async function scrollText(params: ScrollParams): Promise<string> {
  const corpus = await loadSblgnt();
  if (params.text.source === 'acts') return corpus.sample;
  const lexicon = [...new Set(corpus.books.filter((b) => b.part === 'train').flatMap((b) => b.words))].sort();
  const rng = new Rng(seedFrom(params.seed, `${params.family}:lexicon`));
  let text = '';
  while (text.length < 60_000) text += lexicon[rng.int(0, lexicon.length)]!;
  return text;
}

function validate(opts: SampleOptions): {
  seed: number;
  size: SampleSize;
  scroll: string;
  family: Family;
  damage: DamageKind[];
} {
  const seed = opts.seed ?? 1;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new UserError(`--seed must be a non-negative integer (got ${opts.seed})`);
  const size = opts.size ?? 'small';
  if (!SAMPLE_SIZES.includes(size)) throw new UserError(`--size must be small or medium (got '${size}')`);
  const family = opts.family ?? 'dev';
  if (!FAMILIES.includes(family)) throw new UserError(`--family must be dev or test (got '${family}')`);
  const scroll = opts.scroll ?? sampleScrollName(seed, family);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(scroll))
    throw new UserError(`--scroll '${scroll}' may only hold letters, digits, '.', '_' and '-'`);
  const damage = [...new Set(opts.damage ?? [])];
  for (const d of damage)
    if (!DAMAGE_KINDS.includes(d)) throw new UserError(`--damage must be ${DAMAGE_KINDS.join(' or ')} (got '${d}')`);
  return { seed, size, scroll, family, damage };
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

export async function generateSample(opts: SampleOptions): Promise<SampleSummary> {
  const t0 = performance.now();
  const { seed, size, scroll, family, damage } = validate(opts);
  const out = path.resolve(opts.out);
  const signal = opts.signal;
  const outStat = await stat(out).catch(() => undefined);
  if (outStat && !outStat.isDirectory()) throw new UserError(`${out} exists and is not a folder`);
  const targets = [`${scroll}.volpkg`, 'truth', 'previews'];
  if (!opts.force)
    for (const t of targets)
      if (await exists(path.join(out, t)))
        throw new UserError(`${path.join(out, t)} already exists (pass --force to replace it)`);
  const progress = (stage: string, done: number, total: number) => opts.onProgress?.({ stage, done, total });

  const params = scrollParams(seed, size, (await loadSblgnt()).sample.length, family, damage);
  const sourceText = await scrollText(params);
  const [nz, ny, nx] = params.scanA.shape;
  const sheet = new Sheet(params.spiral, nz);
  let minLength = Infinity;
  let maxLength = 0;
  for (let z = -8; z < nz + 8; z++) {
    const L = sheet.curve(z).length;
    minLength = Math.min(minLength, L);
    maxLength = Math.max(maxLength, L);
  }
  const plan = planText(params, sourceText, minLength, nz);
  const world: World = {
    params,
    sheet,
    nz,
    ink: renderInk(plan, maxLength, nz, 2),
    ...makeFields(params, maxLength, nz),
  };

  const createdOut = !outStat;
  await mkdir(out, { recursive: true });
  const tmp = await mkdtemp(path.join(out, '.aunn-sample-'));
  let finished = false;
  try {
    const ids = { a: stampId(seed, 0), b: stampId(seed, 26), seg: stampId(seed, 50) };
    const volpkg = path.join(tmp, `${scroll}.volpkg`);
    const truthDir = path.join(tmp, 'truth');
    const previewDir = path.join(tmp, 'previews');
    for (const d of [path.join(volpkg, 'volumes', ids.a), path.join(truthDir, 'scanA_clean'), previewDir])
      await mkdir(d, { recursive: true });

    // ---- scan A: object, then scanner
    const shapeA: [number, number, number] = [nz, ny, nx];
    const clean = new Float32Array(nz * ny * nx);
    for (let z = 0; z < nz; z++) {
      signal?.throwIfAborted();
      clean.set(renderSlice(world, z, IDENTITY_FRAME, nx, ny, params.scanA), z * ny * nx);
      progress('scan A', z + 1, nz);
    }
    const noisy = clean.slice();
    applyScanner(noisy, shapeA, params.scanA, new Rng(seedFrom(seed, 'scanner-A')));
    damageScan(noisy, shapeA, params.damage, params.scanA, new Rng(seedFrom(seed, 'damage-A')));
    const scanA = toUint16(noisy);
    const cleanA = toUint16(clean);
    const sliceLen = ny * nx;
    let minA = 65535;
    let maxA = 0;
    for (const v of scanA) {
      if (v < minA) minA = v;
      if (v > maxA) maxA = v;
    }
    for (let z = 0; z < nz; z++) {
      const name = `${String(z).padStart(5, '0')}.tif`;
      await writeFile(
        path.join(volpkg, 'volumes', ids.a, name),
        encodeTiff(scanA.subarray(z * sliceLen, (z + 1) * sliceLen), nx, ny),
      );
      await writeFile(
        path.join(truthDir, 'scanA_clean', name),
        encodeTiff(cleanA.subarray(z * sliceLen, (z + 1) * sliceLen), nx, ny),
      );
    }
    const metaA = {
      uuid: ids.a,
      name: ids.a,
      width: nx,
      height: ny,
      slices: nz,
      voxelsize: params.scanA.voxelSizeUm,
      min: minA,
      max: maxA,
      format: 'tif',
      energy_keV: params.scanA.energyKeV,
      // Same number under the key the readers also accept (src/ingest/sniff.ts vesuviusVolumeMeta).
      energy: params.scanA.energyKeV,
    };
    await writeFile(path.join(volpkg, 'volumes', ids.a, 'meta.json'), JSON.stringify(metaA, null, 2) + '\n');
    await writeFile(
      path.join(truthDir, 'scanA_clean', 'meta.json'),
      JSON.stringify(
        {
          ...metaA,
          uuid: `${ids.a}-clean`,
          name: `${ids.a}-clean`,
          min: 0,
          max: 65535,
          note: 'object density, no blur/noise/rings/cupping',
        },
        null,
        2,
      ) + '\n',
    );

    // ---- scan B: half resolution, another energy, rotated and shifted
    const b = params.scanB;
    const [nzB, nyB, nxB] = b.shape;
    const cos = Math.cos(b.rotation);
    const sin = Math.sin(b.rotation);
    const tx = (nx - 1) / 2 + b.shift[0] - 2 * (cos * ((nxB - 1) / 2) - sin * ((nyB - 1) / 2));
    const ty = (ny - 1) / 2 + b.shift[1] - 2 * (sin * ((nxB - 1) / 2) + cos * ((nyB - 1) / 2));
    const tz = (nz - 1) / 2 + b.shift[2] - (nzB - 1);
    const affineToScanA = [2 * cos, -2 * sin, 0, tx, 2 * sin, 2 * cos, 0, ty, 0, 0, 2, tz, 0, 0, 0, 1].map(
      (v) => Math.round(v * 1e9) / 1e9,
    );
    // Each B voxel averages 2x2x2 object samples at ±0.5 A-voxel around its centre, on B's own rotated grid.
    const frame = { ox: tx - 0.5 * cos + 0.5 * sin, oy: ty - 0.5 * sin - 0.5 * cos, cos, sin };
    const objB = new Float32Array(nzB * nyB * nxB);
    for (let k = 0; k < nzB; k++) {
      signal?.throwIfAborted();
      for (const dz of [-0.5, 0.5]) {
        const fine = renderSlice(world, 2 * k + tz + dz, frame, 2 * nxB, 2 * nyB, b);
        for (let j = 0; j < nyB; j++)
          for (let i = 0; i < nxB; i++) {
            const f = 2 * j * 2 * nxB + 2 * i;
            objB[(k * nyB + j) * nxB + i]! +=
              (fine[f]! + fine[f + 1]! + fine[f + 2 * nxB]! + fine[f + 2 * nxB + 1]!) / 8;
          }
      }
      progress('scan B', k + 1, nzB);
    }
    applyScanner(objB, b.shape, b, new Rng(seedFrom(seed, 'scanner-B')));
    const lo = -0.15 * b.papyrus;
    const hi = 1.45 * b.papyrus;
    const scanB = windowTo8bit(objB, lo, hi);
    const idB = `${ids.b}-${b.voxelSizeUm.toFixed(3)}um-${b.energyKeV}keV`;
    await writeOmeZarr(path.join(volpkg, 'volumes', `${idB}.zarr`), {
      name: idB,
      levels: [{ data: scanB, shape: b.shape }, downsample2x(scanB, b.shape)],
      voxelSizeUm: [b.voxelSizeUm, b.voxelSizeUm, b.voxelSizeUm],
      attrs: {
        aunn: {
          affineToScanA,
          energyKeV: b.energyKeV,
          scanA: ids.a,
          window: {
            lo16: Math.round(UINT16_OFFSET + UINT16_GAIN * lo),
            hi16: Math.round(UINT16_OFFSET + UINT16_GAIN * hi),
            note: 'uint8 = 255 (v - lo) / (hi - lo)',
          },
        },
      },
      signal,
    });

    // ---- segment
    progress('segment', 0, 1);
    const surf = segmentSurface(world, plan.segmentStart, plan.segmentWidth);
    const layers = sampleLayers(surf, scanA, shapeA);
    const mask = surfaceMask(surf, shapeA);
    const W = surf.width;
    const H = surf.height;
    const segLetters = plan.letters
      .filter((l) => l.column < params.text.segmentColumns)
      .map((l) => ({ ...l, glyph: shiftGlyph(l.glyph, plan.segmentStart) }));
    const truthLabels = new Uint8Array(W * H);
    for (const l of segLetters) labelGlyph(l.glyph, truthLabels, W, H);
    // Whole columns are labelled (a third of them, at least one), so the known text covers complete lines.
    const labelledColumns = Math.max(1, Math.round(params.text.segmentColumns * LABELLED_FRACTION));
    const labelledXMax = Math.round((W * labelledColumns) / params.text.segmentColumns);
    const labelledFraction = labelledXMax / W;
    const labelled = truthLabels.slice();
    for (let r = 0; r < H; r++) labelled.fill(0, r * W + labelledXMax, (r + 1) * W);
    const segDir = path.join(volpkg, 'paths', ids.seg);
    await mkdir(path.join(segDir, 'layers'), { recursive: true });
    for (let i = 0; i < LAYERS; i++)
      await writeFile(path.join(segDir, 'layers', `${String(i).padStart(2, '0')}.tif`), encodeTiff(layers[i]!, W, H));
    await writeFile(
      path.join(segDir, `${ids.seg}.obj`),
      meshObj(surf, 4, `segment ${ids.seg} of ${scroll}: v in scan-A (${ids.a}) voxel coordinates`),
    );
    await writeFile(path.join(segDir, `${ids.seg}_mask.png`), encodeGrayPng(mask, W, H));
    await writeFile(path.join(segDir, `${ids.seg}_inklabels.png`), encodeGrayPng(labelled, W, H));
    await writeFile(
      path.join(segDir, 'meta.json'),
      JSON.stringify(
        {
          uuid: ids.seg,
          name: ids.seg,
          type: 'seg',
          format: 'obj',
          volume: ids.a,
          width: W,
          height: H,
          layers: LAYERS,
          surfaceLayer: SURFACE_LAYER,
          layerSpacingVoxels: 1,
          layerDirection: 'increasing toward the recto (inked face, toward the scroll centre); layer 32 on the surface',
          sampling: '1 layer pixel = 1 scan-A voxel along the sheet and along z (not finer than the scan)',
          uv: 'vt = (col/(width-1), 1 - row/(height-1)); row 0 = top of the scroll (highest z): z = height-1-row',
          labelledXMax,
          labelledFraction: Math.round(labelledFraction * 1000) / 1000,
          // The ink labels are meaningful only inside this box [x0, y0, x1, y1) (the mask is the segment's valid area).
          labelledRegion: [0, 0, labelledXMax, H],
        },
        null,
        2,
      ) + '\n',
    );
    await writeFile(
      path.join(volpkg, 'config.json'),
      JSON.stringify(
        {
          name: scroll,
          version: 6,
          materialthickness: Math.round(params.spiral.thickness * params.scanA.voxelSizeUm),
          generator: { command: 'aunn sample', seed, size },
          credit: TEXT_CREDIT,
        },
        null,
        2,
      ) + '\n',
    );

    progress('segment', 1, 1);

    // ---- truth
    await writeFile(path.join(truthDir, 'inklabels.png'), encodeGrayPng(truthLabels, W, H));
    // The noise-free scan sampled at the surface (layer 32): what a perfect denoiser would give there.
    const cleanLayer32 = sampleLayers(surf, cleanA, shapeA, [SURFACE_LAYER])[0]!;
    await writeFile(path.join(truthDir, 'layer32_clean.tif'), encodeTiff(cleanLayer32, W, H));
    const columns = plan.columns.slice(0, params.text.segmentColumns).map((c) => {
      const [x0, y0, x1, y1] = c.box;
      return { lines: c.lines, box: [x0 - plan.segmentStart, y0, x1 - plan.segmentStart, y1] };
    });
    await writeFile(path.join(truthDir, 'text.json'), JSON.stringify({ columns, credit: TEXT_CREDIT }, null, 1) + '\n');
    const letters = segLetters.map((l) => ({
      column: l.column,
      line: l.line,
      index: l.index,
      char: l.glyph.char,
      box: glyphBox(l.glyph),
    }));
    await writeFile(
      path.join(truthDir, 'letters.json'),
      '[\n' + letters.map((l) => JSON.stringify(l)).join(',\n') + '\n]\n',
    );
    const cnr = inkContrastToNoise(layers[SURFACE_LAYER]!, truthLabels, mask);
    const nUnlabelled = letters.filter((l) => l.box[0] >= labelledXMax).length;
    const segText = columns.flatMap((c) => c.lines).join('');
    await writeFile(
      path.join(truthDir, 'meta.json'),
      JSON.stringify(
        {
          scroll,
          seed,
          size,
          segment: ids.seg,
          scanA: ids.a,
          scanB: idB,
          family,
          scribe: scribeOf(seed),
          labelledFraction: Math.round(labelledFraction * 1000) / 1000,
          labelledXMax,
          letterHeightPx: round3(params.text.letterHeight),
          strokeWidthPx: round3(params.text.strokeWidth),
          linePitchPx: round3(params.text.letterHeight * params.text.lineSpacing),
          letters: letters.length,
          lettersUnlabelled: nUnlabelled,
          textStart: params.text.textStart,
          textSource:
            params.text.source === 'acts'
              ? 'acts: loadSblgnt().sample (src/lm-conditioning/greek-text.ts): neither LM training nor held-out text'
              : 'lexicon: words of the LM training books drawn uniformly in random order (no phrase known to the LM)',
          hand: params.text.hand,
          columnGapPx: params.text.columnGap,
          segmentText: segText,
          segmentStartU: plan.segmentStart,
          surfaceDepthVoxels: SURFACE_DEPTH,
          cnrLayer32: cnr.cnr,
          damage: params.damage.map((d) => damageRows(d, H)),
          // Ink's mean effect at layer 32 as a fraction of the papyrus-air contrast (after blur and partial volume).
          inkEffectLayer32: round3((cnr.meanInk - cnr.meanSheet) / (UINT16_GAIN * (1 - AIR))),
          physics: describePhysics(params),
          uint16: {
            offset: UINT16_OFFSET,
            gain: UINT16_GAIN,
            air: round3(UINT16_OFFSET + UINT16_GAIN * AIR),
            papyrus: UINT16_OFFSET + UINT16_GAIN,
          },
          credit: TEXT_CREDIT,
        },
        null,
        2,
      ) + '\n',
    );

    // ---- previews
    progress('previews', 0, 1);
    await writePreviews(previewDir, {
      scanA,
      cleanA,
      shapeA,
      scanB,
      shapeB: b.shape,
      layers,
      truthLabels,
      labelledXMax,
      mask,
      W,
      H,
      plan,
    });
    progress('previews', 1, 1);

    // ---- move into place (replacing an earlier sample only with force, checked above)
    for (const t of targets) {
      await rm(path.join(out, t), { recursive: true, force: true });
      await rename(path.join(tmp, t), path.join(out, t));
    }
    const bytes = (await Promise.all(targets.map((t) => duBytes(path.join(out, t))))).reduce((a, c) => a + c, 0);
    finished = true;
    return {
      out,
      scroll,
      seed,
      family,
      size,
      volpkg: path.join(out, `${scroll}.volpkg`),
      scanA: {
        id: ids.a,
        dir: path.join(out, `${scroll}.volpkg`, 'volumes', ids.a),
        shape: shapeA,
        voxelSizeUm: params.scanA.voxelSizeUm,
        energyKeV: params.scanA.energyKeV,
      },
      scanB: {
        id: idB,
        dir: path.join(out, `${scroll}.volpkg`, 'volumes', `${idB}.zarr`),
        shape: b.shape,
        voxelSizeUm: b.voxelSizeUm,
        energyKeV: b.energyKeV,
        affineToScanA,
      },
      segment: {
        id: ids.seg,
        dir: path.join(out, `${scroll}.volpkg`, 'paths', ids.seg),
        width: W,
        height: H,
        layers: LAYERS,
        labelledXMax,
      },
      damage: params.damage.map((d) => damageRows(d, H)),
      truth: path.join(out, 'truth'),
      letters: {
        total: letters.length,
        labelled: letters.length - nUnlabelled,
        unlabelled: nUnlabelled,
        columns: columns.length,
        linesPerColumn: columns[0]!.lines.length,
      },
      cnrLayer32: cnr.cnr,
      seconds: (performance.now() - t0) / 1000,
      bytes,
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
    // Cancelled or failed in a folder we made: leave nothing behind.
    if (!finished && createdOut && (await readdir(out).catch(() => ['?'])).length === 0)
      await rm(out, { recursive: true, force: true });
  }
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

function describePhysics(p: ScrollParams) {
  const s = p.spiral;
  return {
    windings: s.windings,
    innerRadiusVoxels: round3(s.innerRadius),
    pitchVoxels: round3(s.pitch),
    squash: round3(s.squash),
    sheetThicknessVoxels: round3(s.thickness),
    fibreAmplitude: round3(p.fibre),
    inkContrastA: round3(p.scanA.inkContrast),
    inkContrastB: round3(p.scanB.inkContrast),
    noiseA: {
      gauss: round3(p.scanA.gaussNoise),
      shot: round3(p.scanA.shotNoise),
      blurSigma: round3(p.scanA.blurSigma),
      rings: round3(p.scanA.rings),
      cupping: round3(p.scanA.cupping),
    },
    scanBRotationDeg: round3((p.scanB.rotation * 180) / Math.PI),
  };
}

/** Bytes on disk under a file or folder. */
export async function duBytes(p: string): Promise<number> {
  const s = await stat(p);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const e of await readdir(p)) total += await duBytes(path.join(p, e));
  return total;
}

interface PreviewInput {
  scanA: Uint16Array;
  cleanA: Uint16Array;
  shapeA: [number, number, number];
  scanB: Uint8Array;
  shapeB: [number, number, number];
  layers: Uint16Array[];
  truthLabels: Uint8Array;
  labelledXMax: number;
  mask: Uint8Array;
  W: number;
  H: number;
  plan: TextPlan;
}

async function writePreviews(dir: string, v: PreviewInput): Promise<void> {
  const [nz, ny, nx] = v.shapeA;
  const zMid = Math.floor(nz / 2);
  const win = (a: ArrayLike<number>) => windowTo8bit(a, percentile(a, 0.005), percentile(a, 0.998));
  const slice = (vol: Uint16Array, z: number) => vol.subarray(z * ny * nx, (z + 1) * ny * nx);
  await writeFile(path.join(dir, `scanA_z${zMid}.png`), encodeGrayPng(win(slice(v.scanA, zMid)), nx, ny));
  await writeFile(path.join(dir, `scanA_clean_z${zMid}.png`), encodeGrayPng(win(slice(v.cleanA, zMid)), nx, ny));
  // Vertical cut through the middle (x, z), top of the scroll up.
  const xz = new Uint16Array(nz * nx);
  const yMid = Math.floor(ny / 2);
  for (let z = 0; z < nz; z++)
    for (let x = 0; x < nx; x++) xz[(nz - 1 - z) * nx + x] = v.scanA[(z * ny + yMid) * nx + x]!;
  await writeFile(path.join(dir, `scanA_y${yMid}_xz.png`), encodeGrayPng(win(xz), nx, nz));
  const [nzB, nyB, nxB] = v.shapeB;
  const kB = Math.floor(nzB / 2);
  await writeFile(
    path.join(dir, `scanB_z${kB}.png`),
    encodeGrayPng(v.scanB.subarray(kB * nyB * nxB, (kB + 1) * nyB * nxB), nxB, nyB),
  );
  const { W, H } = v;
  const sheetValues = (a: Uint16Array) => Array.from(a).filter((_, i) => v.mask[i]);
  const winSheet = (a: Uint16Array) => {
    const s = sheetValues(a);
    return windowTo8bit(a, percentile(s, 0.01), percentile(s, 0.99));
  };
  const l32 = winSheet(v.layers[SURFACE_LAYER]!);
  await writeFile(path.join(dir, 'layer32.png'), encodeGrayPng(l32, W, H));
  // Mean of layers 30..34: what an ink reader sees after averaging a few layers.
  const mean = new Uint16Array(W * H);
  for (let k = 0; k < W * H; k++) {
    let s = 0;
    for (let l = SURFACE_LAYER - 2; l <= SURFACE_LAYER + 2; l++) s += v.layers[l]![k]!;
    mean[k] = Math.round(s / 5);
  }
  await writeFile(path.join(dir, 'layers30-34_mean.png'), encodeGrayPng(winSheet(mean), W, H));
  // A cut across the layers (layer number down, along the sheet across) at the middle row.
  const across = new Uint16Array(LAYERS * W);
  const row = Math.floor(H / 2);
  for (let l = 0; l < LAYERS; l++) across.set(v.layers[l]!.subarray(row * W, (row + 1) * W), l * W);
  await writeFile(path.join(dir, `layers_row${row}_depth.png`), encodeGrayPng(win(across), W, LAYERS));
  // Layer 32 with the truth ink in red (labelled part) / blue (unlabelled) and the labelled boundary in green.
  const rgb = new Uint8Array(W * H * 3);
  for (let k = 0; k < W * H; k++) {
    const g = l32[k]!;
    const x = k % W;
    let r = g;
    let gg = g;
    let bb = g;
    if (v.truthLabels[k]) {
      if (x < v.labelledXMax) r = Math.min(255, g + 90);
      else bb = Math.min(255, g + 90);
    }
    if (x === v.labelledXMax) gg = 255;
    rgb[3 * k] = r;
    rgb[3 * k + 1] = gg;
    rgb[3 * k + 2] = bb;
  }
  await writeFile(path.join(dir, 'layer32_truth_overlay.png'), encodeRgbPng(rgb, W, H));
  await writeFile(path.join(dir, 'inklabels_truth.png'), encodeGrayPng(v.truthLabels, W, H));
}
