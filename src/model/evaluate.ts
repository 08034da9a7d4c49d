/**
 * Baselines the AUNN is measured against on held-out voxels, and a sample corpus for the benches.
 *  - `interpolationBaseline`: every held-out voxel predicted by linear interpolation from its observed face
 *    neighbours (the mean of the ±1 neighbours along each axis longer than 1 that are not held out) — trilinear
 *    interpolation at a missing grid point. The baseline the model must beat on missing voxels.
 *  - `meanBaseline`: the mean of the observed voxels.
 *
 *   const b = await interpolationBaseline(corpus, records, 0.05);   // { psnr, perRecord }
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecordMeta } from '../corpus/index.js';
import { addressAt, isHeldOut } from './addressing.js';
import { loadTrainSet, psnr, Sampler, type CorpusLike } from './data.js';
import type { AunnModel } from './model.js';
import { mulberry32 } from './network.js';

export interface BaselineResult {
  /** PSNR of the mean per-record MSE (records weigh equally, as in the trainer's held-out set). */
  psnr: number;
  perRecord: Record<string, number>;
  heldOutVoxels: number;
}

export async function interpolationBaseline(
  corpus: CorpusLike,
  records: RecordMeta[],
  heldOutFraction: number,
): Promise<BaselineResult> {
  const perRecord: Record<string, number> = {};
  let mseSum = 0;
  let total = 0;
  for (const rec of records) {
    const data = await corpus.readRecord(rec, 0);
    const [nz, ny, nx] = rec.shape;
    const held = new Uint8Array(data.length);
    let i = 0;
    for (let z = 0; z < nz; z++)
      for (let y = 0; y < ny; y++)
        for (let x = 0; x < nx; x++) held[i++] = isHeldOut(addressAt(rec, z, y, x), heldOutFraction) ? 1 : 0;
    let sse = 0;
    let n = 0;
    const strides = [ny * nx, nx, 1];
    const dims = [nz, ny, nx];
    for (let z = 0; z < nz; z++)
      for (let y = 0; y < ny; y++)
        for (let x = 0; x < nx; x++) {
          const k = (z * ny + y) * nx + x;
          if (!held[k]) continue;
          const c = [z, y, x];
          let s = 0;
          let m = 0;
          for (let a = 0; a < 3; a++) {
            if (dims[a] < 2) continue;
            for (const d of [-1, 1]) {
              const q = c[a] + d;
              if (q < 0 || q >= dims[a]) continue;
              const kk = k + d * strides[a];
              if (held[kk]) continue;
              s += data[kk];
              m++;
            }
          }
          const pred = m ? s / m : 128;
          sse += (pred - data[k]) ** 2;
          n++;
        }
    if (n === 0) continue;
    perRecord[rec.name] = psnr(sse, n);
    mseSum += sse / n;
    total += n;
  }
  const nrec = Object.keys(perRecord).length;
  return { psnr: psnr(mseSum, nrec), perRecord, heldOutVoxels: total };
}

/**
 * A model's held-out PSNR on records (up to `perRecord` held-out voxels each, deterministic; records weigh equally),
 * as the trainer measures it.
 */
export async function heldOutPsnr(
  model: AunnModel,
  corpus: CorpusLike,
  records: RecordMeta[],
  perRecord = 2048,
): Promise<BaselineResult> {
  // Bounded like training: past the cap, held-out voxels are drawn from a resident subset of each large record.
  const set = await loadTrainSet(corpus, records, {
    maxResidentMB: model.config.train.maxResidentMB,
    residentSeed: 0x5eed,
  });
  const hf = model.config.train.heldOutFraction;
  const ev = new Sampler(set, hf).heldOut(perRecord, mulberry32(0x5eed));
  const p = await model.predict(ev.addresses, corpus.manifest);
  const sse = new Float64Array(set.records.length);
  const cnt = new Float64Array(set.records.length);
  for (let i = 0; i < ev.labels.length; i++) {
    sse[ev.record[i]] += (p.mean[i] - ev.labels[i]) ** 2;
    cnt[ev.record[i]]++;
  }
  const perRecordPsnr: Record<string, number> = {};
  let mseSum = 0;
  let k = 0;
  set.records.forEach((r, i) => {
    if (!cnt[i]) return;
    perRecordPsnr[r.name] = psnr(sse[i], cnt[i]);
    mseSum += sse[i] / cnt[i];
    k++;
  });
  return { psnr: psnr(mseSum, k), perRecord: perRecordPsnr, heldOutVoxels: ev.labels.length };
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Generates the sample scroll (seed, size small) and ingests it into a corpus under dir (for the benches). */
export function makeSampleCorpus(dir: string, seeds: number[] = [1]): string {
  const corpusDir = path.join(dir, `corpus-${seeds.join('-')}`);
  if (existsSync(path.join(corpusDir, 'manifest.json'))) return corpusDir;
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin/aunn.js'), ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`aunn ${args.join(' ')} failed: ${r.stderr.slice(-2000)}`);
  };
  for (const seed of seeds) {
    const out = path.join(dir, `sample-${seed}`);
    if (!existsSync(out)) run(['sample', '--out', out, '--seed', String(seed), '--quiet']);
    run(['ingest', path.join(out, `sample-s${seed}.volpkg`), '--corpus', corpusDir]);
  }
  return corpusDir;
}
