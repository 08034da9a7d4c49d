/**
 * A VC3D tifxyz surface rendered from a scan already in the corpus into its segment's 65 layers [65, H, W], as VC3D's
 * vc_render_tifxyz renders them: a VolumeSource the ingest writes slab by slab (checksums, progress and the corpus
 * lock as for any ingest), each slab drawn in tiles that read only the box of the scan they sample. The segment then
 * gets what a rendered segment folder gets (openSegment): the layers, the tifxyz files as attachments, a mask or ink
 * labels found beside them.
 *
 * Conventions, read in ScrollPrize/villa volume-cartographer: core/src/QuadSurface.cpp (load_quad_from_tifxyz,
 * QuadSurface::gen), core/src/Geometry.cpp (grid_normal) and apps/src/vc_render_tifxyz.cpp (buildOffsetList).
 * x.tif, y.tif and z.tif are float32 grids [rows, cols] of each vertex's scan voxel coordinates x, y, z at level 0
 * (record axes z, y, x). A vertex is invalid where z <= 0 (VC3D writes -1, -1, -1), and where mask.tif (the grid's
 * size or a multiple of it) is below 255. meta.json `scale` [sx, sy] counts vertices per voxel: the grid step is 1/sx
 * voxels, the render W = round(cols / sx) by H = round(rows / sy) pixels of one voxel, pixel i at grid column
 * cols/2 + sx (i - (W - 1)/2) (rows alike). The normal is the unit cross product xv × yv of the grid's column
 * direction xv (vertex col - 1 to col + 1) and its row direction yv. Layer k samples the scan trilinearly at
 * P + (k - 32) n: 65 layers one voxel apart, layer 32 on the surface.
 *
 * Here a pixel's position is bilinear between the vertices around it and the pixel is 0 unless every vertex with a
 * weight is valid (VC3D takes the nearest vertex's validity and blends the -1 sentinels in at the edges); normals are
 * interpolated between the vertices' own, one-sided or from the next row or column beside a hole (where VC3D has none
 * and puts every layer on the surface). A scan ingested from level L of a pyramid, or as a region box, is sampled at
 * P / 2^L less the box's corner, still one level-0 voxel between layers (VC3D steps a voxel of the level it reads).
 * Samples outside the scan are 0.
 *
 *   const items = await tifxyzRenderItems(corpus, '/data/scroll1.volpkg/paths/w01', { scan: 'scroll1/volume' });
 *   const records = await renderTifxyz(corpus, '/data/scroll1.volpkg/paths/w01', { scan: 'scroll1/volume' });
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { TaskOptions } from '../core/task.js';
import type { Corpus, RecordMeta } from '../corpus/index.js';
import { readFloat32Tiff, TiffFile } from '../formats/tiff-reader.js';
import { sha256Files } from './checksum.js';
import { ingestItems } from './ingest.js';
import { LAYER_COUNT, openSegment, SURFACE_LAYER } from './readers/segment.js';
import { assertSlabRange, DEFAULT_MAX_DIM } from './readers/volume-util.js';
import { readJson } from './sniff.js';
import type { IngestItem, VolumeSource } from './source.js';

/** Vertices one coordinate grid may have (64 MiB of float32 each). */
const MAX_GRID_VERTICES = 1 << 24;
/** Pixels of one rendered layer (the ingest holds a slab of whole layers). */
const MAX_LAYER_PIXELS = 2 ** 31;
/** Mask pixels read (a mask may be a multiple of the grid). */
const MAX_MASK_PIXELS = 1 << 28;
/** Pixels a side of the tiles a slab is drawn in. */
const TILE = 64;
/** Tiles drawn at once. */
const TILES_IN_FLIGHT = 4;
/** Voxels of scan one read may take; a tile whose box is larger (a surface folded on itself) is split. */
const BOX_VOXELS = 1 << 23;

export interface TifxyzSurface {
  /** The surface folder, absolute. */
  dir: string;
  rows: number;
  cols: number;
  /** Vertices per voxel along the columns and the rows (meta.json `scale`). */
  scale: [number, number];
  /** Rendered pixels: round(rows / sy) by round(cols / sx). */
  height: number;
  width: number;
  /** Vertex positions x, y, z (level-0 scan voxels), row-major; NaN where the vertex is invalid. */
  points: Float32Array;
  /** Vertex unit normals x, y, z; NaN where there is none (an invalid vertex, or one without valid neighbours). */
  normals: Float32Array;
  validVertices: number;
  hasMask: boolean;
  meta: Record<string, unknown>;
  warnings: string[];
}

export interface RenderTifxyzOptions extends TaskOptions {
  /** The scan record (name or id) the layers are sampled from. */
  scan: string;
  /** The segment's scroll; default: the scan's. */
  scroll?: string;
  /** The segment's id in its record names (`<id>/layers`); default: the folder's name. */
  id?: string;
  /** Largest rendered size per axis (default 65536). */
  maxDim?: number;
}

/** Reads and checks a tifxyz folder: the grids, the validity of each vertex, the vertex normals. */
export async function readTifxyz(
  dir: string,
  opts: { maxDim?: number; signal?: AbortSignal } = {},
): Promise<TifxyzSurface> {
  const abs = path.resolve(dir);
  for (const name of ['meta.json', 'x.tif', 'y.tif', 'z.tif'])
    if (!existsSync(path.join(abs, name)))
      throw new UserError(`${abs}: not a tifxyz surface (no ${name})`, { file: abs });
  const metaFile = path.join(abs, 'meta.json');
  const meta = await readJson(metaFile);
  if (meta.format !== 'tifxyz')
    throw new UserError(`${metaFile}: not a tifxyz surface (format ${JSON.stringify(meta.format)}, not "tifxyz")`, {
      file: metaFile,
    });
  const scale = meta.scale;
  if (
    !Array.isArray(scale) ||
    scale.length < 2 ||
    !scale.slice(0, 2).every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0)
  )
    throw new UserError(
      `${metaFile}: scale must be two positive numbers [sx, sy] (grid vertices per voxel), not ${JSON.stringify(scale)}`,
      { file: metaFile },
    );
  const [sx, sy] = scale as [number, number];

  const grids: Float32Array[] = [];
  let cols = 0,
    rows = 0;
  for (const axis of ['x', 'y', 'z']) {
    const file = path.join(abs, `${axis}.tif`);
    const g = await readFloat32Tiff(file, { maxValues: MAX_GRID_VERTICES, signal: opts.signal });
    if (grids.length === 0) [cols, rows] = [g.width, g.height];
    else if (g.width !== cols || g.height !== rows)
      throw new UserError(`${file}: ${g.width}x${g.height}, but x.tif is ${cols}x${rows}`, { file });
    grids.push(g.values);
  }
  if (cols < 2 || rows < 2)
    throw new UserError(`${path.join(abs, 'x.tif')}: a ${cols}x${rows} grid has no normals (needs 2x2 vertices)`);
  const maxDim = opts.maxDim ?? DEFAULT_MAX_DIM;
  const width = Math.max(1, Math.round(cols / sx)),
    height = Math.max(1, Math.round(rows / sy));
  if (width > maxDim || height > maxDim || width * height > MAX_LAYER_PIXELS)
    throw new UserError(
      `${metaFile}: a ${cols}x${rows} grid at scale [${sx}, ${sy}] renders ${width}x${height} pixels a layer, over the limit of ${maxDim} per axis and ${MAX_LAYER_PIXELS} a layer`,
      { file: metaFile, options: ['maxDim'] },
    );

  const n = rows * cols;
  const [gx, gy, gz] = grids as [Float32Array, Float32Array, Float32Array];
  const points = new Float32Array(3 * n).fill(NaN);
  for (let i = 0; i < n; i++) {
    const x = gx[i]!,
      y = gy[i]!,
      z = gz[i]!;
    // load_quad_from_tifxyz: z <= 0 is invalid, which covers the -1 sentinel.
    if (Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z) && z > 0) {
      points[3 * i] = x;
      points[3 * i + 1] = y;
      points[3 * i + 2] = z;
    }
  }
  const warnings: string[] = [];
  const maskFile = path.join(abs, 'mask.tif');
  const hasMask = existsSync(maskFile);
  if (hasMask) await applyMask(maskFile, points, rows, cols, warnings, opts.signal);
  let validVertices = 0;
  for (let i = 0; i < n; i++) if (!Number.isNaN(points[3 * i]!)) validVertices++;
  if (validVertices === 0)
    throw new UserError(`${abs}: no valid vertex in the tifxyz surface (every z <= 0${hasMask ? ', or masked' : ''})`, {
      file: abs,
    });
  return {
    dir: abs,
    rows,
    cols,
    scale: [sx, sy],
    height,
    width,
    points,
    normals: vertexNormals(points, rows, cols),
    validVertices,
    hasMask,
    meta,
    warnings,
  };
}

/** VC3D's mask.tif: first page, the grid's size or a whole multiple; a pixel below 255 invalidates its vertex. */
async function applyMask(
  file: string,
  points: Float32Array,
  rows: number,
  cols: number,
  warnings: string[],
  signal?: AbortSignal,
): Promise<void> {
  const tiff = await TiffFile.open(file, { firstPageOnly: true });
  try {
    const { width, height } = tiff.pages[0]!;
    if (width % cols !== 0 || height % rows !== 0 || width * height > MAX_MASK_PIXELS) {
      warnings.push(`${file}: ${width}x${height} is not the ${cols}x${rows} grid or a multiple of it; not applied`);
      return;
    }
    const fx = width / cols,
      fy = height / rows;
    const mask = await tiff.readPage(0, signal);
    for (let my = 0; my < height; my++)
      for (let mx = 0; mx < width; mx++) {
        if (mask[my * width + mx]! >= 255) continue;
        const v = Math.floor(my / fy) * cols + Math.floor(mx / fx);
        points.fill(NaN, 3 * v, 3 * v + 3);
      }
  } finally {
    await tiff.close();
  }
}

/**
 * Unit normals xv × yv at the vertices: xv between the valid vertices around it in its row (central, else one-sided),
 * or in the row above or below when its own has none (an edge beside a hole); yv likewise along the columns.
 */
function vertexNormals(points: Float32Array, rows: number, cols: number): Float32Array {
  const normals = new Float32Array(points.length).fill(NaN);
  const valid = (r: number, c: number) =>
    r >= 0 && r < rows && c >= 0 && c < cols && !Number.isNaN(points[3 * (r * cols + c)]!);
  const tangent = new Float64Array(6);
  /** Difference of the valid vertices around (r, c) along (dr, dc), into tangent[at..at+3); false if none. */
  const along = (r: number, c: number, dr: number, dc: number, at: number): boolean => {
    for (const shift of [0, -1, 1]) {
      const r1 = r + shift * dc,
        c1 = c + shift * dr;
      const lo = valid(r1 - dr, c1 - dc) ? -1 : valid(r1, c1) ? 0 : 1;
      const hi = valid(r1 + dr, c1 + dc) ? 1 : valid(r1, c1) ? 0 : -1;
      if (lo >= hi) continue;
      const a = 3 * ((r1 + hi * dr) * cols + c1 + hi * dc),
        b = 3 * ((r1 + lo * dr) * cols + c1 + lo * dc);
      for (let k = 0; k < 3; k++) tangent[at + k] = points[a + k]! - points[b + k]!;
      return true;
    }
    return false;
  };
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      if (!valid(r, c) || !along(r, c, 0, 1, 0) || !along(r, c, 1, 0, 3)) continue;
      const xx = tangent[0]!,
        xy = tangent[1]!,
        xz = tangent[2]!,
        yx = tangent[3]!,
        yy = tangent[4]!,
        yz = tangent[5]!;
      const nx = xy * yz - xz * yy,
        ny = xz * yx - xx * yz,
        nz = xx * yy - xy * yx;
      const len = Math.hypot(nx, ny, nz);
      if (!(len > 0)) continue;
      const i = 3 * (r * cols + c);
      normals[i] = nx / len;
      normals[i + 1] = ny / len;
      normals[i + 2] = nz / len;
    }
  return normals;
}

/** Pixel i of `size` → the grid cell it falls in (clamped to the grid) and the weight of the cell's far side. */
function pixelToGrid(count: number, size: number, s: number): { cell: Int32Array; frac: Float64Array } {
  const cell = new Int32Array(size),
    frac = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const g = Math.min(count - 1, Math.max(0, count / 2 + s * (i - (size - 1) / 2)));
    const c = Math.min(count - 2, Math.floor(g));
    cell[i] = c;
    frac[i] = g - c;
  }
  return { cell, frac };
}

/** How the scan record's voxels relate to level-0 scan voxels: level L of a pyramid, and a region box's corner. */
function scanFrame(scan: RecordMeta): { factor: number; corner: [number, number, number]; level: number } {
  const level = scan.extra?.level;
  const L = typeof level === 'number' && Number.isInteger(level) && level > 0 ? level : 0;
  const region = scan.extra?.region as { z: number[]; y: number[]; x: number[] } | undefined;
  const corner: [number, number, number] = region ? [region.z[0] ?? 0, region.y[0] ?? 0, region.x[0] ?? 0] : [0, 0, 0];
  return { factor: 2 ** -L, corner, level: L };
}

/** Refuses a surface whose layers cannot reach the scan anywhere (they would be all 0). */
function checkReachesScan(surface: TifxyzSurface, scan: RecordMeta): void {
  const { factor, corner } = scanFrame(scan);
  const lo = [Infinity, Infinity, Infinity],
    hi = [-Infinity, -Infinity, -Infinity];
  const { points } = surface;
  for (let i = 0; i < points.length; i += 3) {
    if (Number.isNaN(points[i]!)) continue;
    for (let a = 0; a < 3; a++) {
      lo[a] = Math.min(lo[a]!, points[i + a]!);
      hi[a] = Math.max(hi[a]!, points[i + a]!);
    }
  }
  // Record axes z, y, x; the surface's x, y, z.
  const [depth, height, width] = scan.shape;
  const dims = [width, height, depth];
  const margin = SURFACE_LAYER;
  const reaches = [0, 1, 2].every((a) => {
    const c = corner[2 - a]!;
    return (hi[a]! + margin) * factor - c >= 0 && (lo[a]! - margin) * factor - c <= dims[a]! - 1;
  });
  if (!reaches) {
    const span = (a: number) => `${'xyz'[a]} ${lo[a]!.toFixed(1)}..${hi[a]!.toFixed(1)}`;
    throw new UserError(
      `${surface.dir}: the surface lies entirely outside scan '${scan.name}' (its vertices span ${span(0)}, ${span(1)}, ${span(2)} level-0 voxels; the scan is ${width}x${height}x${depth} voxels${factor !== 1 ? ` at 1/${1 / factor} scale` : ''})`,
      { file: surface.dir, record: scan.name },
    );
  }
}

/** The 65 layers of `surface` sampled from `scan`, rendered slab by slab on demand. */
export function tifxyzLayers(corpus: Corpus, surface: TifxyzSurface, scan: RecordMeta): VolumeSource {
  const { width: W, height: H, points, normals, cols } = surface;
  const { factor, corner } = scanFrame(scan);
  const [D, Y, X] = scan.shape;
  const colMap = pixelToGrid(surface.cols, W, surface.scale[0]);
  const rowMap = pixelToGrid(surface.rows, H, surface.scale[1]);
  const warnings = [...surface.warnings];
  const plane = H * W;
  let surfacePixels = 0,
    surfaceOutside = 0;

  /** Positions and normals of a tile's pixels in the scan record's voxels (x, y, z); NaN where invalid. */
  const tileGeometry = (x0: number, y0: number, tw: number, th: number): Float64Array => {
    const g = new Float64Array(6 * tw * th).fill(NaN);
    for (let j = 0; j < th; j++) {
      const r = rowMap.cell[y0 + j]!,
        fv = rowMap.frac[y0 + j]!;
      for (let i = 0; i < tw; i++) {
        const c = colMap.cell[x0 + i]!,
          fu = colMap.frac[x0 + i]!;
        let px = 0,
          py = 0,
          pz = 0,
          nx = 0,
          ny = 0,
          nz = 0,
          ok = true;
        for (let corner4 = 0; corner4 < 4 && ok; corner4++) {
          const dr = corner4 >> 1,
            dc = corner4 & 1;
          const w = (dc ? fu : 1 - fu) * (dr ? fv : 1 - fv);
          if (w === 0) continue;
          const v = 3 * ((r + dr) * cols + c + dc);
          // A valid vertex without a normal counts as invalid too: its layers have no direction.
          if (Number.isNaN(normals[v]!)) ok = false;
          px += w * points[v]!;
          py += w * points[v + 1]!;
          pz += w * points[v + 2]!;
          nx += w * normals[v]!;
          ny += w * normals[v + 1]!;
          nz += w * normals[v + 2]!;
        }
        const len = Math.hypot(nx, ny, nz);
        if (!ok || !(len > 0)) continue;
        const k = 6 * (j * tw + i);
        g[k] = px * factor - corner[2];
        g[k + 1] = py * factor - corner[1];
        g[k + 2] = pz * factor - corner[0];
        g[k + 3] = (nx / len) * factor;
        g[k + 4] = (ny / len) * factor;
        g[k + 5] = (nz / len) * factor;
      }
    }
    return g;
  };

  /** Samples layers [z0, z1) of the pixels of a tile's rect, reading the box of the scan they need. */
  const drawRect = async (
    g: Float64Array,
    tw: number,
    x0: number,
    y0: number,
    rect: [number, number, number, number],
    z0: number,
    z1: number,
    out: Uint8Array,
    signal?: AbortSignal,
  ): Promise<void> => {
    const [i0, j0, i1, j1] = rect;
    const dLo = z0 - SURFACE_LAYER,
      dHi = z1 - 1 - SURFACE_LAYER;
    const lo = [Infinity, Infinity, Infinity],
      hi = [-Infinity, -Infinity, -Infinity];
    for (let j = j0; j < j1; j++)
      for (let i = i0; i < i1; i++) {
        const k = 6 * (j * tw + i);
        if (Number.isNaN(g[k]!)) continue;
        // Positions are linear in the layer: the first and the last layer bound them.
        for (let a = 0; a < 3; a++) {
          const q0 = g[k + a]! + dLo * g[k + 3 + a]!,
            q1 = g[k + a]! + dHi * g[k + 3 + a]!;
          lo[a] = Math.min(lo[a]!, q0, q1);
          hi[a] = Math.max(hi[a]!, q0, q1);
        }
      }
    if (!(lo[0]! <= hi[0]!)) return;
    // Box [a, b] per axis (x, y, z): every cell a sample inside the scan reads.
    const dims = [X, Y, D];
    const a = [0, 1, 2].map((ax) => Math.max(0, Math.min(Math.floor(lo[ax]!), dims[ax]! - 2)));
    const b = [0, 1, 2].map((ax) => Math.min(dims[ax]! - 1, Math.floor(hi[ax]!) + 1));
    if (a.some((v, ax) => v > b[ax]! || hi[ax]! < 0 || lo[ax]! > dims[ax]! - 1)) return;
    const bx = b[0]! - a[0]! + 1,
      by = b[1]! - a[1]! + 1,
      bz = b[2]! - a[2]! + 1;
    if (bx * by * bz > BOX_VOXELS && (i1 - i0 > 1 || j1 - j0 > 1)) {
      const im = (i0 + i1) >> 1,
        jm = (j0 + j1) >> 1;
      for (const sub of [
        [i0, j0, im, jm],
        [im, j0, i1, jm],
        [i0, jm, im, j1],
        [im, jm, i1, j1],
      ] as Array<[number, number, number, number]>)
        if (sub[0] < sub[2] && sub[1] < sub[3]) await drawRect(g, tw, x0, y0, sub, z0, z1, out, signal);
      return;
    }
    const box = await corpus.readRegion(
      scan,
      { z: [a[2]!, b[2]! + 1], y: [a[1]!, b[1]! + 1], x: [a[0]!, b[0]! + 1] },
      0,
      signal,
    );
    // One voxel step along each axis inside the box (0 on an axis the scan is one voxel thick).
    const sx = X > 1 ? 1 : 0,
      sy = Y > 1 ? bx : 0,
      sz = D > 1 ? bx * by : 0;
    for (let j = j0; j < j1; j++)
      for (let i = i0; i < i1; i++) {
        const k = 6 * (j * tw + i);
        const px = g[k]!;
        if (Number.isNaN(px)) continue;
        const py = g[k + 1]!,
          pz = g[k + 2]!,
          nx = g[k + 3]!,
          ny = g[k + 4]!,
          nz = g[k + 5]!;
        const at = (y0 + j) * W + x0 + i;
        for (let layer = z0; layer < z1; layer++) {
          const d = layer - SURFACE_LAYER;
          const qx = px + d * nx,
            qy = py + d * ny,
            qz = pz + d * nz;
          if (!(qx >= 0 && qx <= X - 1 && qy >= 0 && qy <= Y - 1 && qz >= 0 && qz <= D - 1)) continue;
          const ix = Math.min(Math.floor(qx), Math.max(0, X - 2)),
            iy = Math.min(Math.floor(qy), Math.max(0, Y - 2)),
            iz = Math.min(Math.floor(qz), Math.max(0, D - 2));
          const fx = qx - ix,
            fy = qy - iy,
            fz = qz - iz;
          const o = (iz - a[2]!) * bx * by + (iy - a[1]!) * bx + (ix - a[0]!);
          const c00 = box[o]! + fx * (box[o + sx]! - box[o]!);
          const c01 = box[o + sy]! + fx * (box[o + sy + sx]! - box[o + sy]!);
          const c10 = box[o + sz]! + fx * (box[o + sz + sx]! - box[o + sz]!);
          const c11 = box[o + sz + sy]! + fx * (box[o + sz + sy + sx]! - box[o + sz + sy]!);
          const c0 = c00 + fy * (c01 - c00),
            c1 = c10 + fy * (c11 - c10);
          out[(layer - z0) * plane + at] = Math.round(c0 + fz * (c1 - c0));
        }
      }
  };

  const volume: VolumeSource = {
    shape: [LAYER_COUNT, H, W],
    dtype: 'uint8',
    warnings,
    async readSlab(z0, z1, signal) {
      assertSlabRange(volume.shape, z0, z1, surface.dir);
      const out = new Uint8Array((z1 - z0) * plane);
      const countSurface = z0 <= SURFACE_LAYER && SURFACE_LAYER < z1;
      // A few tiles at once: one samples while the codec threads decode the others' boxes (they write apart).
      const inFlight = new Set<Promise<void>>();
      let failed: { error: unknown } | undefined;
      for (let y0 = 0; y0 < H && !failed; y0 += TILE)
        for (let x0 = 0; x0 < W && !failed; x0 += TILE) {
          signal?.throwIfAborted();
          while (inFlight.size >= TILES_IN_FLIGHT) await Promise.race(inFlight);
          const tw = Math.min(TILE, W - x0),
            th = Math.min(TILE, H - y0);
          const g = tileGeometry(x0, y0, tw, th);
          if (countSurface)
            for (let k = 0; k < g.length; k += 6) {
              if (Number.isNaN(g[k]!)) continue;
              surfacePixels++;
              const [x, y, z] = [g[k]!, g[k + 1]!, g[k + 2]!];
              if (!(x >= 0 && x <= X - 1 && y >= 0 && y <= Y - 1 && z >= 0 && z <= D - 1)) surfaceOutside++;
            }
          const p: Promise<void> = drawRect(g, tw, x0, y0, [0, 0, tw, th], z0, z1, out, signal).then(
            () => void inFlight.delete(p),
            (error: unknown) => {
              inFlight.delete(p);
              failed ??= { error };
            },
          );
          inFlight.add(p);
        }
      await Promise.all(inFlight);
      if (failed) throw failed.error;
      if (countSurface && surfaceOutside > 0)
        warnings.push(
          `${surface.dir}: ${surfaceOutside} of ${surfacePixels} surface pixels lie outside scan '${scan.name}' (rendered 0)`,
        );
      return out;
    },
  };
  const v = scan.voxelSizeUm;
  // Pixels and layers are one level-0 voxel apart: the scan's voxel at level 0, when it is a cube.
  if (v && Math.abs(v[0] - v[1]) <= 1e-9 * v[0] && Math.abs(v[0] - v[2]) <= 1e-9 * v[0]) {
    const um = v[0] * factor;
    volume.voxelSizeUm = [um, um, um];
  }
  return volume;
}

/** The ingest items of a tifxyz surface rendered from `opts.scan`: the segment's layers and what lies beside them. */
export async function tifxyzRenderItems(corpus: Corpus, dir: string, opts: RenderTifxyzOptions): Promise<IngestItem[]> {
  const surface = await readTifxyz(dir, { maxDim: opts.maxDim, signal: opts.signal });
  const scan = corpus.record(opts.scan);
  if (scan.modality !== 'scan')
    throw new UserError(`${surface.dir}: '${scan.name}' is a ${scan.modality} record, not a scan to render from`, {
      record: scan.name,
    });
  checkReachesScan(surface, scan);
  const files = ['meta.json', 'x.tif', 'y.tif', 'z.tif', ...(surface.hasMask ? ['mask.tif'] : [])];
  const { level, corner } = scanFrame(scan);
  return openSegment(surface.dir, {
    scroll: opts.scroll ?? scan.scroll,
    ...(opts.id !== undefined ? { id: opts.id } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    layers: {
      volume: tifxyzLayers(corpus, surface, scan),
      source: { path: surface.dir, sha256: await sha256Files(surface.dir, files, opts.signal), format: 'tifxyz' },
      extra: {
        renderedFrom: {
          scan: scan.name,
          scanSha256: scan.source.sha256,
          ...(level ? { level } : {}),
          ...(corner.some((c) => c !== 0) ? { corner } : {}),
          layerStepVoxels: 1,
          grid: [surface.rows, surface.cols],
          validVertices: surface.validVertices,
        },
      },
    },
  });
}

/** Renders the surface in `dir` from the scan record `opts.scan` and adds its segment to the corpus (all or none). */
export async function renderTifxyz(corpus: Corpus, dir: string, opts: RenderTifxyzOptions): Promise<RecordMeta[]> {
  const items = await tifxyzRenderItems(corpus, dir, opts);
  return ingestItems(corpus, items, {
    ...(opts.maxDim !== undefined ? { maxDim: opts.maxDim } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
}
