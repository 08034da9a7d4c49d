/**
 * Sample scroll generation: wall time and output sizes for `small` (and `medium` unless --quick), plus the ink
 * contrast-to-noise ratio at layer 32 each size gives. Timings on shared cores are noisy.
 *
 *   npm run bench -- --only sample --json
 */
import path from 'node:path';
import type { Emit, BenchOptions } from '../src/cli/commands/bench.js';
import { generateSample, type SampleSize } from '../sample-data/index.js';

export const name = 'sample';
export const description =
  'sample scroll generation: seconds, MB, letters, CNR at layer 32 (small; medium unless --quick)';

export async function run(emit: Emit, opts: BenchOptions): Promise<void> {
  const sizes: SampleSize[] = opts.quick ? ['small'] : ['small', 'medium'];
  for (const size of sizes) {
    const t0 = performance.now();
    const s = await generateSample({ out: path.join(opts.tmpDir, size), seed: 1, size });
    const seconds = (performance.now() - t0) / 1000;
    emit(`${size}.seconds`, seconds, 's');
    emit(`${size}.bytes`, s.bytes / 1e6, 'MB');
    emit(`${size}.scanA`, s.scanA.shape.join('x'), 'z,y,x');
    emit(`${size}.segment`, `${s.segment.width}x${s.segment.height}x${s.segment.layers}`, 'w,h,layers');
    emit(`${size}.letters`, s.letters.total, 'letters');
    emit(`${size}.lettersUnlabelled`, s.letters.unlabelled, 'letters');
    emit(`${size}.cnrLayer32`, s.cnrLayer32, '');
    emit(`${size}.rssMB`, process.memoryUsage().rss / 1e6, 'MB');
  }
}
