/**
 * Generalization: the whole chain (ingest → ink readout → layout → reading) on scrolls of the test family, which no
 * default, threshold or method was chosen on (sample-data/README.md, "Families"). Scrolls 2k-1 and 2k share a
 * scribe; each is read with its own glyphs (learned on its labelled columns, scored on the unlabelled ones) and
 * with its partner's (cross-scroll: the partner's readout and glyphs, every column scored). Conditions: the text
 * source, in-domain (Acts, which the LM never trains on) or out-of-domain (lexicon words in random order).
 *
 * Per metric and condition it prints mean, sd, min and n over scrolls, e.g. `acts · CER decode (own): mean`.
 *
 *   npm run bench -- --only generalization --json            # test seeds 1..20: ~10 scrolls per condition
 *   npm run bench -- --only generalization --quick           # 4 scrolls (2 pairs), shorter readout and beam
 *   AUNN_GEN_FAMILY=dev AUNN_GEN_SEEDS=1-6 npm run bench -- --only generalization     # tuning: dev scrolls only
 *
 * Settings (printed first): readout steps as `aunn ink`'s default (150) and one network, unless AUNN_GEN_STEPS /
 * AUNN_GEN_ENSEMBLE (`aunn ink` trains 3; on dev scrolls 1-8 three read own 0.590 decoded against 0.597, cross 0.718
 * against 0.700, for 2.6 times the readout's seconds), beam AUNN_GEN_BEAM (default 200, the reader's DEFAULT_BEAM). A full run on the default test seeds
 * writes its summary to bench/results/generalization.json (committed), which the demo's report shows with its date.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchOptions, Emit } from '../src/cli/commands/bench.js';
import { Corpus } from '../src/corpus/index.js';
import { ingestPath } from '../src/ingest/ingest.js';
import { loadKneserNey } from '../src/lm-conditioning/models.js';
import {
  chooseThreshold,
  evaluateInk,
  loadCorpusSegment,
  predictReadout,
  readoutFromJson,
  readoutToJson,
  readGrayImage,
  scoreInk,
  trainReadout,
  unlabelledPixels,
  type InkReadout,
  type InkSegment,
} from '../src/ink/index.js';
import { readSampleSegment, type SegmentReading } from '../src/workflows/read-step.js';
import { inkCalibration, layoutScore, letterAccuracy, type TruthLetterBox } from '../src/workflows/truth-scores.js';
import { GENERALIZATION_FILE, saveGeneralization } from '../src/workflows/generalization-results.js';
import { UNDERDOT_THRESHOLD } from '../src/lm-conditioning/reading/reading-file.js';
import { ensureSample, scribeOf, scrollParams, type Family, type SampleSummary } from '../sample-data/index.js';
import { MetricStats, seedList } from './summary-stats.js';

export const name = 'generalization';
export const description =
  'ink, layout and reading on test-family scrolls never tuned on: mean, sd, min per condition (in-/out-of-domain text)';

interface ScrollRun {
  seed: number;
  source: string;
  sample: SampleSummary;
  corpus: Corpus;
  group: string;
  seg: InkSegment;
  readout: InkReadout;
  prob: Float32Array;
  truth: Uint8Array;
  /** Glyphs learned on its labelled columns (undefined when its own reading failed). */
  glyphs?: SegmentReading['glyphs'];
}

export async function run(emit: Emit, opts: BenchOptions): Promise<void> {
  const family = (process.env.AUNN_GEN_FAMILY ?? 'test') as Family;
  const seeds = seedList(process.env.AUNN_GEN_SEEDS ?? (opts.quick ? '1-4' : '1-20'));
  const steps = Number(process.env.AUNN_GEN_STEPS ?? (opts.quick ? 60 : 150));
  const ensemble = Number(process.env.AUNN_GEN_ENSEMBLE ?? 1);
  const beam = Number(process.env.AUNN_GEN_BEAM ?? (opts.quick ? 100 : 200));
  emit('family', family);
  emit('seeds', `${seeds[0]}..${seeds[seeds.length - 1]} (${seeds.length})`);
  emit('readout steps per network', steps, 'steps');
  emit('readout networks', ensemble);
  emit('beam', beam);
  // AUNN_GEN_DIR keeps the scrolls, corpora and trained readouts between runs (for development on dev scrolls).
  const root = process.env.AUNN_GEN_DIR ?? opts.tmpDir;
  const lm = await loadKneserNey();
  const stats = new MetricStats();
  const add = (condition: string, metric: string, v: number) => {
    for (const key of [`${condition} · ${metric}`, `all · ${metric}`]) stats.add(key, v);
  };

  const runs = new Map<number, ScrollRun>();
  for (const seed of seeds) {
    const out = path.join(root, `${family}-s${seed}`);
    const sample = await ensureSample({ out, seed, family, size: 'small' });
    const corpus = await Corpus.open(path.join(out, 'corpus'), { create: true });
    if (!corpus.manifest.records.length) await ingestPath(corpus, sample.volpkg, {});
    const group = `${sample.scroll}/${sample.segment.id}`;
    const seg = (await loadCorpusSegment(corpus, group)).segment;
    const t0 = performance.now();
    const cached = path.join(out, `readout-${steps}x${ensemble}.json`);
    const readout = process.env.AUNN_GEN_DIR
      ? await readFile(cached, 'utf8').then(
          (t) => readoutFromJson(JSON.parse(t)),
          () => undefined,
        )
      : undefined;
    const trained =
      readout ?? (await trainReadout([seg], { maxSteps: steps, maxSeconds: 3600, seed: 1, ensemble })).readout;
    if (process.env.AUNN_GEN_DIR && !readout) await writeFile(cached, JSON.stringify(readoutToJson(trained)));
    const prob = await predictReadout(trained, seg);
    const inkSeconds = (performance.now() - t0) / 1000;
    const truth = await readGrayImage(path.join(sample.truth, 'inklabels.png'), seg);
    const source = scrollParams(seed, 'small', undefined, family).text.source;
    runs.set(seed, { seed, source, sample, corpus, group, seg, readout: trained, prob, truth });
    // Ink on the unlabelled part of its own scroll, at the readout's threshold and at the oracle's.
    const own = evaluateInk(prob, truth, seg.labelledMask!, {
      sheetMask: seg.sheetMask,
      labels: seg.labels,
      threshold: trained.threshold,
    });
    const evalMask = unlabelledPixels(seg);
    // The oracle's threshold is the best one on the unlabelled pixels themselves, and is scored there.
    const oracle = scoreInk(prob, truth, evalMask, chooseThreshold(prob, truth, evalMask).threshold);
    const cal = inkCalibration(prob, truth, evalMask);
    add(source, 'ink F0.5 (own, tool threshold)', own.f05);
    add(source, 'ink F0.5 gap to oracle (own)', oracle.f05 - own.f05);
    add(source, 'ink AUC (own)', own.auc);
    add(source, 'ink calibration max gap per decile (own)', cal.maxGap);
    add(source, 'ink empty mask where ink is present (own)', own.precision === 0 && own.recall === 0 ? 1 : 0);
    if (!readout) add(source, 'ink readout seconds', inkSeconds);

    const t1 = performance.now();
    const r = await readSampleSegment(corpus, {
      group,
      segment: seg,
      ink: prob,
      truthDir: sample.truth,
      labelledXMax: sample.segment.labelledXMax,
      lm,
      beam,
    }).catch((err: Error) => err);
    const readSeconds = (performance.now() - t1) / 1000;
    emit(`${family} s${seed} (${source}) ink F0.5 / AUC`, `${own.f05.toFixed(3)} / ${own.auc.toFixed(3)}`);
    if (r instanceof Error) {
      emit(`${family} s${seed} reading failed`, r.message.split('\n')[0]!);
      add(source, 'reading failed (own)', 1);
      continue;
    }
    add(source, 'reading failed (own)', 0);
    runs.get(seed)!.glyphs = r.glyphs;
    add(source, 'reading seconds per segment (off + decode)', readSeconds);
    await scoreReading(r, sample, 'own', source, add, emit, `${family} s${seed}`);
  }

  // Cross-scroll: each scroll read with its scribe partner's readout threshold and glyphs.
  for (const seed of seeds) {
    const me = runs.get(seed)!;
    const partner = [...runs.values()].find((o) => o.seed !== seed && scribeOf(o.seed) === scribeOf(seed));
    if (!me || !partner) continue;
    const prob = await predictReadout(partner.readout, me.seg);
    const all = me.seg.sheetMask ?? new Uint8Array(me.seg.width * me.seg.height).fill(1);
    const ink = scoreInk(prob, me.truth, all, partner.readout.threshold);
    add(me.source, 'ink F0.5 (cross, tool threshold)', ink.f05);
    add(me.source, 'ink calibration max gap per decile (cross)', inkCalibration(prob, me.truth, all).maxGap);
    if (!partner.glyphs) continue;
    const r = await readSampleSegment(me.corpus, {
      group: me.group,
      segment: me.seg,
      ink: prob,
      truthDir: me.sample.truth,
      labelledXMax: 0,
      lm,
      beam,
      glyphsFrom: partner.glyphs,
    }).catch((err: Error) => err);
    if (r instanceof Error) {
      emit(`${family} s${seed} cross reading failed`, r.message.split('\n')[0]!);
      continue;
    }
    await scoreReading(r, me.sample, 'cross', me.source, add, emit, `${family} s${seed}`);
  }

  const summary = stats.emit(emit);
  // Only a full run on the default test scrolls is the project's result (the demo reports it).
  if (!opts.quick && family === 'test' && !process.env.AUNN_GEN_SEEDS)
    await saveGeneralization(GENERALIZATION_FILE, {
      date: new Date().toISOString(),
      family,
      seeds,
      settings: { readoutSteps: steps, readoutNetworks: ensemble, beam, size: 'small' },
      summary,
    });
}

async function scoreReading(
  r: SegmentReading,
  sample: SampleSummary,
  where: 'own' | 'cross',
  source: string,
  add: (condition: string, metric: string, v: number) => void,
  emit: Emit,
  label: string,
): Promise<void> {
  const truth = JSON.parse(await readFile(path.join(sample.truth, 'text.json'), 'utf8')) as {
    columns: { lines: string[]; box: number[] }[];
  };
  const letters = JSON.parse(await readFile(path.join(sample.truth, 'letters.json'), 'utf8')) as TruthLetterBox[];
  const layout = layoutScore(r.columns, truth.columns, letters);
  add(source, `layout right (${where})`, layout.right ? 1 : 0);
  add(source, `column IoU (${where})`, layout.columnIoU);
  add(source, `line IoU (${where})`, layout.lineIoU);
  add(source, `columns found - true (${where})`, layout.columnsFound - layout.columnsTrue);
  add(source, `CER LM off (${where})`, r.cer.off.cer);
  add(source, `CER decode (${where})`, r.cer.decode.cer);
  const acc = letterAccuracy(r.reading, truth.columns, { minX: r.minX, threshold: UNDERDOT_THRESHOLD });
  add(source, `plain letters right (${where})`, acc.plain ? acc.plainRight / acc.plain : NaN);
  // Counts too: over the family, the share of all plain letters that are right is their means' ratio (a scroll
  // that prints two plain letters weighs as much as one that prints fifty in the per-scroll share above).
  add(source, `plain letters printed (${where})`, acc.plain);
  add(source, `plain letters printed right (${where})`, acc.plainRight);
  add(
    source,
    `letters marked uncertain or lost (${where})`,
    acc.total ? (acc.uncertain + acc.lost + acc.supplied) / acc.total : NaN,
  );
  emit(
    `${label} ${where}: columns ${layout.columnsFound}/${layout.columnsTrue}, lines ${layout.linesFound}/${layout.linesTrue}, CER off / decode`,
    `${(100 * r.cer.off.cer).toFixed(1)}% / ${(100 * r.cer.decode.cer).toFixed(1)}%`,
  );
}
