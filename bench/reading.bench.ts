/**
 * Reading text off predicted ink, on several sample scrolls at once: for each seed a small sample scroll is made,
 * ingested, its ink predicted by a readout ensemble trained on its labelled third, and its unlabelled columns read
 * with the glyphs learned there, LM off and LM decode; the character error rate against its truth per scroll and the
 * mean. One scroll's CER moves by ±10 points with small changes of the ink (one wrong letter can send the LM down
 * another phrase), so judge a reader or readout change by the mean over several scrolls, not by the demo's scroll.
 *
 *   npm run bench -- --only reading --json
 *   AUNN_READING_SEEDS=1,3,4,5,6 AUNN_READING_ENSEMBLE=1 npm run bench -- --only reading
 *
 * Variables: AUNN_READING_SEEDS (default 3,4,5: not the demo's scrolls), AUNN_READING_ENSEMBLE (readout networks,
 * default 3), AUNN_READING_STEPS (steps per network, default 150), AUNN_READING_BEAM (default decode.ts DEFAULT_BEAM, 200).
 */
import path from 'node:path';
import type { BenchOptions, Emit } from '../src/cli/commands/bench.js';
import { readSampleSegment } from '../src/workflows/read-step.js';
import { DEFAULT_BEAM } from '../src/lm-conditioning/reading/decode.js';
import { Corpus } from '../src/corpus/index.js';
import { ingestPath } from '../src/ingest/ingest.js';
import { loadKneserNey } from '../src/lm-conditioning/models.js';
import { loadCorpusSegment, readGrayImage } from '../src/ink/index.js';
import { evaluateInk } from '../src/ink/index.js';
import { predictReadout, trainReadout } from '../src/ink/index.js';
import { ensureSample } from '../sample-data/index.js';

export const name = 'reading';
export const description =
  'reading CER (LM off / decode) on several sample scrolls, each with its own readout-ensemble ink and glyphs; the mean over scrolls';

export async function run(emit: Emit, opts: BenchOptions): Promise<void> {
  const seeds = (process.env.AUNN_READING_SEEDS ?? (opts.quick ? '3' : '3,4,5')).split(',').map(Number);
  const ensemble = Number(process.env.AUNN_READING_ENSEMBLE ?? (opts.quick ? 1 : 3));
  const maxSteps = Number(process.env.AUNN_READING_STEPS ?? (opts.quick ? 10 : 150));
  const beam = Number(process.env.AUNN_READING_BEAM ?? (opts.quick ? 50 : DEFAULT_BEAM));
  const lm = await loadKneserNey();
  const decoded: number[] = [];
  const off: number[] = [];
  for (const seed of seeds) {
    const corpus = await Corpus.open(path.join(opts.tmpDir, `corpus-s${seed}`), { create: true });
    const sample = await ensureSample({ out: path.join(opts.tmpDir, `s${seed}`), seed, size: 'small' });
    await ingestPath(corpus, sample.volpkg, {});
    const group = `${sample.scroll}/${sample.segment.id}`;
    const loaded = await loadCorpusSegment(corpus, group);
    const seg = loaded.segment;
    const t0 = performance.now();
    const { readout } = await trainReadout([seg], { maxSteps, maxSeconds: 600, seed: 1, ensemble });
    const prob = await predictReadout(readout, seg);
    emit(`s${seed} readout training + prediction`, (performance.now() - t0) / 1000, 's');
    const truth = await readGrayImage(path.join(sample.truth, 'inklabels.png'), seg);
    const ink = evaluateInk(prob, truth, seg.labelledMask!, { sheetMask: seg.sheetMask, labels: seg.labels });
    emit(`s${seed} ink F0.5`, ink.f05);
    emit(`s${seed} ink AUC`, ink.auc);
    const t1 = performance.now();
    const r = await readSampleSegment(corpus, {
      group,
      segment: seg,
      ink: prob,
      truthDir: sample.truth,
      labelledXMax: sample.segment.labelledXMax,
      lm,
      beam,
    });
    emit(`s${seed} reading time (off + decode)`, (performance.now() - t1) / 1000, 's');
    emit(`s${seed} CER LM off`, r.cer.off.cer);
    emit(`s${seed} CER LM decode`, r.cer.decode.cer);
    emit(`s${seed} letters scored`, r.cer.decode.letters);
    off.push(r.cer.off.cer);
    decoded.push(r.cer.decode.cer);
  }
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  emit('mean CER LM off', mean(off));
  emit('mean CER LM decode', mean(decoded));
}
