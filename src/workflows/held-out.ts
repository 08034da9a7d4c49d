/**
 * Held-out PSNR of one model version over some records, measured the same way for every version, so the demo can
 * show forgetting: scroll 1's PSNR with the model trained on it (v1) and after finetuning on scroll 2 (v2).
 * Uses only the addresses the trainer never trains on (`isHeldOut`), a fixed random sample of them per record.
 *
 *   const before = await heldOutPsnr(corpus, 'model', 1, s1Records);   // { psnr: 21.4, perRecord: {...}, samples }
 */
import type { Corpus } from '../corpus/index.js';
import { addressesOf } from '../corpus/index.js';
import type { RecordMeta } from '../corpus/index.js';
import { isHeldOut, loadModel } from '../model/index.js';
import { mulberry32 } from '../core/random.js';

export interface HeldOutScore {
  psnr: number;
  perRecord: Record<string, number>;
  samples: number;
}

const psnrOf = (se: number, n: number) => (n > 0 ? 10 * Math.log10((255 * 255) / Math.max(se / n, 1e-12)) : NaN);

/** Up to `perRecord` held-out voxels of each record, same sample for every model version (fixed seed). */
export async function heldOutPsnr(
  corpus: Corpus,
  modelDir: string,
  version: number,
  records: RecordMeta[],
  opts: { perRecord?: number; signal?: AbortSignal } = {},
): Promise<HeldOutScore> {
  const want = opts.perRecord ?? 4096;
  const model = await loadModel(modelDir, { version });
  const fraction = model.config.train.heldOutFraction;
  try {
    const perRecord: Record<string, number> = {};
    let seAll = 0;
    let nAll = 0;
    for (const rec of records) {
      opts.signal?.throwIfAborted();
      const data = await corpus.readRecord(rec, 0, opts.signal);
      const [D, H, W] = rec.shape;
      // Ink labels of a partly labelled segment are known only in their labelled region (the trainer skips the rest).
      const region =
        rec.modality === 'ink-labels'
          ? (rec.extra?.labelledRegion as [number, number, number, number] | undefined)
          : undefined;
      const [x0, y0, x1, y1] = region ?? [0, 0, W, H];
      const rand = mulberry32(rec.id * 7919 + 17);
      const zyx = new Int32Array(3 * want);
      const one = new Int32Array(3);
      const addr = new Float64Array(1);
      let k = 0;
      for (let tries = 0; tries < want * 400 && k < want; tries++) {
        one[0] = Math.floor(rand() * D);
        one[1] = y0 + Math.floor(rand() * (y1 - y0));
        one[2] = x0 + Math.floor(rand() * (x1 - x0));
        addressesOf(rec, one, addr);
        if (!isHeldOut(addr[0]!, fraction)) continue;
        zyx.set(one, 3 * k++);
      }
      if (k === 0) continue;
      const addresses = addressesOf(rec, zyx.subarray(0, 3 * k));
      const pred = await model.predict(addresses, corpus.manifest, { signal: opts.signal });
      let se = 0;
      for (let i = 0; i < k; i++) {
        const v = data[(zyx[3 * i]! * H + zyx[3 * i + 1]!) * W + zyx[3 * i + 2]!]!;
        se += (pred.mean[i]! - v) ** 2;
      }
      perRecord[rec.name] = psnrOf(se, k);
      seAll += se;
      nAll += k;
    }
    return { psnr: psnrOf(seAll, nAll), perRecord, samples: nAll };
  } finally {
    model.dispose();
  }
}
