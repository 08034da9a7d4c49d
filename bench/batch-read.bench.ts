/**
 * Random-batch reads for training: a 256³ record is loaded whole from the corpus (readRecord), then batches of 4096
 * random addresses are mapped to (record, z, y, x) with locateMany and their bytes gathered from memory.
 * Target: ≥ 10⁶ addresses/s (the training loop's need).
 *
 *   npm run bench -- --only batch-read --json
 */
import type { Emit, BenchOptions } from '../src/cli/commands/bench.js';
import { Corpus } from '../src/corpus/index.js';
import { blockSize, locateMany, recordRange } from '../src/corpus/index.js';

export const name = 'batch-read';
export const description =
  'random batches of 4096 addresses from a 256³ record in memory (locate + gather), and loading it';

const BATCH = 4096;

export async function run(emit: Emit, { quick, tmpDir }: BenchOptions): Promise<void> {
  const side = quick ? 128 : 256;
  const shape: [number, number, number] = [side, side, side];
  const plane = side * side;
  const corpus = await Corpus.open(`${tmpDir}/corpus`, { create: true });
  // A few other records around it, so locate really searches.
  await corpus.withWriter(async (w) => {
    const meta = (n: string, s: [number, number, number]) => ({
      name: n,
      scroll: 'bench',
      modality: 'scan' as const,
      shape: s,
      dtype: 'uint8' as const,
      source: { path: n, sha256: '', format: 'bench' },
      trainable: true,
    });
    await w.appendRecord(meta('bench/small', [8, 8, 8]), (ws) => ws(0, new Uint8Array(512)));
    await w.appendRecord(meta('bench/cube', shape), async (ws) => {
      const slab = new Uint8Array(16 * plane);
      for (let z = 0; z < side; z += 16) {
        for (let i = 0; i < slab.length; i++) slab[i] = (z * 31 + i * 7 + (i >> 9)) & 255;
        await ws(z, slab);
      }
    });
    await w.appendRecord(meta('bench/after', [4, 4, 4]), (ws) => ws(0, new Uint8Array(64)));
  });
  const rec = corpus.record('bench/cube');

  const t0 = performance.now();
  const values = await corpus.readRecord(rec);
  const loadS = (performance.now() - t0) / 1000;
  emit(`load ${side}³ record (readRecord)`, loadS * 1000, 'ms');
  emit('load throughput', values.length / 1e6 / loadS, 'MB/s');

  const [start] = recordRange(rec);
  const size = blockSize(rec.bits);
  const addresses = new Float64Array(BATCH);
  const recIds = new Int32Array(BATCH);
  const zyx = new Int32Array(3 * BATCH);
  const batch = new Uint8Array(BATCH);
  let seed = 12345;
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;
  const batches = quick ? 200 : 2000;
  let checksum = 0;
  let mapS = 0;
  for (let b = 0; b < batches + 20; b++) {
    for (let i = 0; i < BATCH; i++) addresses[i] = start + Math.floor(random() * size);
    const t = performance.now();
    locateMany(corpus.manifest, addresses, recIds, zyx);
    for (let i = 0, j = 0; i < BATCH; i++, j += 3)
      batch[i] = recIds[i]! < 0 ? 0 : values[zyx[j]! * plane + zyx[j + 1]! * side + zyx[j + 2]!]!;
    if (b >= 20) mapS += (performance.now() - t) / 1000; // first batches warm the JIT
    checksum += batch[b % BATCH]!;
  }
  emit('random-batch read (locate + gather)', (batches * BATCH) / mapS, 'addresses/s');
  emit('batch of 4096', (mapS / batches) * 1e6, 'µs');
  emit('target ≥ 1e6 addresses/s met', (batches * BATCH) / mapS >= 1e6 ? 'yes' : 'no');
  if (checksum < 0) emit('checksum', checksum);
}
