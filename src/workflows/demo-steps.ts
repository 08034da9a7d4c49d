/**
 * The demo's steps 1-10 on the bundled sample: two synthetic scrolls (seed 1 with ink labels on its first third,
 * seed 2 the "new scroll") -> a fresh corpus -> ingest scroll 1 -> train the AUNN on it -> ink readout on its labelled
 * third and ink for scroll 1 -> ingest scroll 2 without its labels -> finetune on scroll 2 and the same network from
 * scratch with equal steps (transfer curve; forgetting of scroll 1) -> ink for scroll 2 (cross-scroll) -> read both
 * segments' text (LM off vs decode) -> the language-conditioned AUNN -> exports. Each step prints a header and its
 * time; re-running reuses what the settings still match (`fresh` rebuilds it). run-demo.ts adds the report.
 *
 *   const run = await runDemoSteps({ out: 'demo-output', quick: true, fresh: false });
 *   run.train1.heldOutPsnr; run.readings.s1?.cer;
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { ensureSample, readSample, type SampleSummary } from '../../sample-data/index.js';
import { Corpus } from '../corpus/index.js';
import { discoverItems, ingestItems, ingestPath } from '../ingest/ingest.js';
import { finetuneModel } from '../model/index.js';
import { trainModel, type TrainProgress, type TrainResult } from '../model/index.js';
import { loadCorpusSegment } from '../ink/index.js';
import { trainLogistic } from '../ink/index.js';
import { ensureReadout } from '../ink/index.js';
import { progressTracker, type ProgressListener, type TaskOptions } from '../core/task.js';
import { heldOutPsnr } from './held-out.js';
import { inkForSegment, type SegmentInk } from './ink-eval.js';
import { readSampleSegment, type SegmentReading } from './read-step.js';
import { conditionSample, type ConditionedSample } from './condition-step.js';
import { Report } from './report.js';
import {
  demoSettings,
  READOUT_SAFETY_SECONDS,
  fingerprintOf,
  loadState,
  saveState,
  type DemoSettings,
  type DemoState,
} from './settings.js';
import { NotAvailable, StepLog, type StepContext } from './steps.js';

export interface DemoOptions extends TaskOptions {
  out: string;
  quick: boolean;
  fresh: boolean;
  /** Where headers and notes go (default stderr). */
  print?: (line: string) => void;
  /** Override settings (tests, experiments). */
  settings?: Partial<DemoSettings>;
}

interface TrainSummary {
  version: number;
  steps: number;
  stepsThisCall: number;
  seconds: number;
  samplesPerS: number;
  heldOutPsnr: number;
  perRecordPsnr: Record<string, number>;
  backend: string;
  threads: number;
  /** The network: encoding of the index, width x depth. */
  network: string;
  /** Held-out PSNR along this run: [steps into the run, dB]. */
  curve: [number, number][];
}

/** Steps of the quick demo; the default one adds the conditioning of the AUNN on its own reading. */
const STEP_COUNT = 12;

function summarize(r: TrainResult, seconds: number): TrainSummary {
  const start = r.header.run.startStep;
  const curve = r.header.history
    .filter((h) => h.step > start && h.heldOutPsnr !== undefined && Number.isFinite(h.heldOutPsnr))
    .map((h) => [h.step - start, h.heldOutPsnr!] as [number, number]);
  // one point per step count (the final evaluation may repeat the last periodic one)
  const dedup = curve.filter((p, i) => i === curve.length - 1 || curve[i + 1]![0] !== p[0]);
  return {
    version: r.version,
    steps: r.step,
    stepsThisCall: r.stepsThisCall,
    seconds,
    samplesPerS: r.samplesPerS,
    heldOutPsnr: r.heldOutPsnr,
    perRecordPsnr: r.perRecordPsnr,
    backend: r.backend,
    threads: r.threads,
    network: `${r.header.config.encoding.kind} encoding, MLP ${r.header.config.width} wide x ${r.header.config.depth} deep`,
    curve: dedup,
  };
}

/** A progress bar fed by trainModel's events; throws after training when Ctrl-C stopped it (a checkpoint was kept). */
async function trainWithBar(
  label: string,
  steps: number,
  task: TaskOptions,
  train: (onProgress: (p: TrainProgress) => void) => Promise<TrainResult>,
): Promise<{ result: TrainResult; seconds: number }> {
  const bar = progressTracker(label, steps, task.onProgress, { unit: 'steps' });
  const t0 = performance.now();
  const result = await train((p) => {
    const info: Record<string, number | string> = { loss: p.loss, 'samples/s': Math.round(p.samplesPerS) };
    if (p.heldOutPsnr !== undefined) info['held-out dB'] = p.heldOutPsnr;
    bar.set(p.runSteps, info);
  });
  bar.done();
  task.signal?.throwIfAborted();
  return { result, seconds: (performance.now() - t0) / 1000 };
}

const f2 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(2));

/** Steps 1-10: samples, ingest, training, ink, transfer, reading, exports. */
export async function runDemoSteps(opts: DemoOptions) {
  const settings = { ...demoSettings(opts.quick), ...opts.settings };
  const out = path.resolve(opts.out);
  const work = path.join(out, 'work');
  const corpusDir = path.join(work, 'corpus');
  const modelDir = path.join(work, 'model');
  const scratchDir = path.join(work, 'model-scratch');
  const imagesDir = path.join(out, 'images');
  const exportsDir = path.join(out, 'exports');
  const stateFile = path.join(work, 'state.json');
  const signal = opts.signal;
  const listener: ProgressListener | undefined = opts.onProgress;
  const print = opts.print ?? ((l: string) => process.stderr.write(`${l}\n`));
  const steps = new StepLog(STEP_COUNT + (settings.inkFromModel ? 1 : 0), signal, print);
  const started = new Date();

  await mkdir(out, { recursive: true });
  const { state, matched } = await loadState(stateFile, fingerprintOf(settings));
  if (opts.fresh || !matched) {
    // other settings (or --fresh): corpus and models are rebuilt from the samples
    await rm(work, { recursive: true, force: true });
    state.steps = {};
  }
  await rm(imagesDir, { recursive: true, force: true });
  await rm(exportsDir, { recursive: true, force: true });
  await mkdir(imagesDir, { recursive: true });
  const save = () => saveState(stateFile, state);
  /** A stored step result, or run `fn` and store its result. */
  const once = async <T>(key: string, ctx: StepContext, fn: () => Promise<T>): Promise<T> => {
    const stored = state.steps[key] as DemoState['steps'][string] | undefined;
    if (stored) {
      ctx.reused(stored.seconds);
      return stored.data as T;
    }
    const t0 = performance.now();
    const data = await fn();
    state.steps[key] = { seconds: (performance.now() - t0) / 1000, data };
    await save();
    return data;
  };

  const report = new Report('Scroll AUNN demo: two sample scrolls, from CT scans to text');
  const overview = report.section('Overview');

  // 1. samples
  const samples = (await steps.run('Sample scrolls (seed 1: labelled scroll, seed 2: the new scroll)', async (ctx) => {
    const made: SampleSummary[] = [];
    for (const seed of settings.seeds) {
      const dir = path.join(out, `sample-s${seed}`);
      const had = await readSample(dir);
      const t0 = performance.now();
      const s = await ensureSample({ out: dir, seed, size: settings.sampleSize, signal });
      const reused = had && had.seed === seed && had.size === settings.sampleSize;
      ctx.note(
        `${s.scroll}: ${reused ? 'reused' : `generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`} (${s.scanA.shape.join('x')} scan A, segment ${s.segment.width}x${s.segment.height}x${s.segment.layers}, ${s.letters.total} letters, ${s.letters.unlabelled} unlabelled) → ${dir}`,
      );
      made.push(s);
    }
    return made;
  }))!;
  const [s1, s2] = samples as [SampleSummary, SampleSummary];
  const group1 = `${s1.scroll}/${s1.segment.id}`;
  const group2 = `${s2.scroll}/${s2.segment.id}`;

  // 2. ingest scroll 1
  let corpus = await Corpus.open(corpusDir, { create: true });
  await steps.run(`Ingest scroll 1 (${s1.scroll}) into a fresh corpus`, async (ctx) => {
    const names = await once('ingest1', ctx, async () =>
      (await ingestPath(corpus, s1.volpkg, { signal })).map((r) => r.name),
    );
    ctx.note(`${names.length} records: ${names.join(', ')}`);
  });
  corpus = await Corpus.open(corpusDir);
  const recordsOf = (scroll: string) => corpus.records({ scroll, trainable: true });

  // 3. train on scroll 1
  const train1 = (await steps.run(
    `Train the AUNN on scroll 1 (${settings.trainSteps} steps, with its partial ink labels)`,
    async (ctx) => {
      const t = await once('train1', ctx, async () => {
        const { result, seconds } = await trainWithBar(
          'train scroll 1',
          settings.trainSteps,
          { signal, onProgress: listener },
          (onProgress) =>
            trainModel({
              corpus,
              modelDir,
              steps: settings.trainSteps,
              evalEverySteps: Math.max(1, Math.round(settings.trainSteps / settings.curvePoints)),
              evalEverySeconds: 1e6,
              records: recordsOf(s1.scroll).map((r) => r.name),
              signal,
              onProgress,
            }),
        );
        return summarize(result, seconds);
      });
      ctx.note(
        `${t.steps} steps on ${t.backend} x ${t.threads} threads, ${Math.round(t.samplesPerS)} samples/s, held-out PSNR ${f2(t.heldOutPsnr)} dB`,
      );
      return t;
    },
  ))!;

  // 4. ink readout + ink for scroll 1
  const logistic1 = { value: undefined as ReturnType<typeof trainLogistic> | undefined };
  const ink1 = await steps.run(
    'Ink for scroll 1: readout trained on its labelled third, scored on the other two thirds',
    async (ctx) => {
      const readoutInfo = await once('readout', ctx, async () => {
        const r = await ensureReadout(corpus, {
          modelDir,
          trainGroups: [group1],
          retrain: true,
          maxSeconds: READOUT_SAFETY_SECONDS,
          maxSteps: settings.readoutSteps,
          ensemble: settings.readoutEnsemble,
          seed: 1,
          signal,
          onProgress: listener,
        });
        return {
          steps: r.trained?.steps ?? 0,
          seconds: r.trained?.seconds ?? 0,
          band: r.readout.band,
          threshold: r.readout.threshold,
          networks: 1 + (r.readout.members?.length ?? 0),
        };
      });
      const { readout } = await ensureReadout(corpus, { modelDir, signal }); // the saved one
      ctx.note(
        `readout: ${readoutInfo.networks ?? 1} network(s), ${readoutInfo.steps} steps in ${readoutInfo.seconds.toFixed(1)} s, layers ${readoutInfo.band.from}..${readoutInfo.band.to}, threshold ${readoutInfo.threshold.toFixed(3)} (chosen on the labelled third)`,
      );
      const loaded = await loadCorpusSegment(corpus, group1, signal);
      logistic1.value = trainLogistic([loaded.segment]);
      const ink = await inkForSegment(corpus, {
        group: group1,
        scroll: 'scroll 1',
        truthPng: path.join(s1.truth, 'inklabels.png'),
        readout,
        logistic: logistic1.value,
        modelDir: settings.inkFromModel ? modelDir : undefined,
        signal,
      });
      for (const r of ink.rows)
        ctx.note(
          `${r.method} on ${r.layers} layers: F0.5 ${r.score.f05.toFixed(3)} (precision ${r.score.precision.toFixed(3)}, recall ${r.score.recall.toFixed(3)}, AUC ${r.score.auc.toFixed(3)})`,
        );
      return { ink, readout, readoutInfo };
    },
  );

  // 5. ingest scroll 2 without its ink labels
  await steps.run(`Ingest scroll 2 (${s2.scroll}), without its ink labels`, async (ctx) => {
    const names = await once('ingest2', ctx, async () => {
      const items = (await discoverItems(s2.volpkg, { signal })).filter((i) => i.modality !== 'ink-labels');
      return (await ingestItems(corpus, items, { signal })).map((r) => r.name);
    });
    ctx.note(`${names.length} records: ${names.join(', ')} (its ink labels stay out: the new scroll has none)`);
  });
  corpus = await Corpus.open(corpusDir);

  // 6. finetune on scroll 2
  const transferSteps = settings.transferSteps;
  const evalEverySteps = Math.max(1, Math.round(transferSteps / settings.curvePoints));
  const finetuned = await steps.run(
    `Finetune on scroll 2 (${transferSteps} steps, replaying scroll 1)`,
    async (ctx) => {
      const t = await once('finetune', ctx, async () => {
        const { result, seconds } = await trainWithBar(
          'finetune scroll 2',
          transferSteps,
          { signal, onProgress: listener },
          (onProgress) =>
            finetuneModel({
              corpus,
              modelDir,
              scroll: s2.scroll,
              steps: transferSteps,
              evalEverySteps,
              evalEverySeconds: 1e6,
              signal,
              onProgress,
            }),
        );
        return summarize(result, seconds);
      });
      ctx.note(
        `model v${t.version}: held-out PSNR on scroll 2 ${f2(t.heldOutPsnr)} dB after ${t.stepsThisCall} steps (${t.seconds.toFixed(0)} s); v1 kept`,
      );
      return t;
    },
  );

  // 7. the same network from scratch on scroll 2, equal steps
  const scratch = await steps.run(
    `The same network from scratch on scroll 2 (${transferSteps} steps, for comparison)`,
    async (ctx) => {
      const t = await once('scratch', ctx, async () => {
        const { loadModel } = await import('../model/index.js');
        const pre = await loadModel(modelDir, { version: 1 });
        const config = pre.header.config;
        pre.dispose();
        const { result, seconds } = await trainWithBar(
          'scratch scroll 2',
          transferSteps,
          { signal, onProgress: listener },
          (onProgress) =>
            trainModel({
              corpus,
              modelDir: scratchDir,
              steps: transferSteps,
              records: recordsOf(s2.scroll).map((r) => r.name),
              config,
              evalEverySteps,
              evalEverySeconds: 1e6,
              signal,
              onProgress,
            }),
        );
        return summarize(result, seconds);
      });
      ctx.note(`held-out PSNR on scroll 2 ${f2(t.heldOutPsnr)} dB after ${t.stepsThisCall} steps`);
      return t;
    },
  );

  // forgetting: scroll 1 with v1 and with the finetuned version, same held-out sample
  const forgetting = finetuned
    ? await steps.run(
        'Scroll 1 before and after finetuning (forgetting)',
        async (ctx) => {
          const f = await once('forgetting', ctx, async () => {
            const recs = recordsOf(s1.scroll);
            const before = await heldOutPsnr(corpus, modelDir, 1, recs, {
              perRecord: opts.quick ? 2048 : 4096,
              signal,
            });
            const after = await heldOutPsnr(corpus, modelDir, finetuned.version, recs, {
              perRecord: opts.quick ? 2048 : 4096,
              signal,
            });
            return { before, after };
          });
          ctx.note(
            `scroll 1 held-out PSNR: ${f2(f.before.psnr)} dB with v1, ${f2(f.after.psnr)} dB with v${finetuned.version} (${f.before.samples} voxels)`,
          );
          return f;
        },
        { optional: true },
      )
    : undefined;

  // 8. ink for scroll 2 (cross-scroll)
  const ink2 = await steps.run('Ink for scroll 2 (cross-scroll: no labels of its own)', async (ctx) => {
    if (!ink1) throw new NotAvailable('the ink readout of scroll 1 is missing');
    const ink = await inkForSegment(corpus, {
      group: group2,
      scroll: 'scroll 2',
      truthPng: path.join(s2.truth, 'inklabels.png'),
      readout: ink1.readout,
      logistic: logistic1.value!,
      modelDir: settings.inkFromModel ? modelDir : undefined,
      thresholds: ink1.ink.thresholds,
      signal,
    });
    for (const r of ink.rows)
      ctx.note(
        `${r.method} on ${r.layers} layers: F0.5 ${r.score.f05.toFixed(3)} (precision ${r.score.precision.toFixed(3)}, recall ${r.score.recall.toFixed(3)}, AUC ${r.score.auc.toFixed(3)})`,
      );
    return ink;
  });

  // 9. read the text
  const readings: { s1?: SegmentReading; s2?: SegmentReading; s2Error?: string } = {};
  await steps.run(
    'Read the text of both segments (LM off vs decode)',
    async (ctx) => {
      if (!ink1 || !ink2) throw new NotAvailable('ink predictions are missing');
      const { loadKneserNey } = await import('../lm-conditioning/models.js');
      const lm = await loadKneserNey(undefined, signal);
      ctx.note(`language model: ${lm.name}`);
      const segs: [SampleSummary, SegmentInk, 's1' | 's2'][] = [
        [s1, ink1.ink, 's1'],
        [s2, ink2, 's2'],
      ];
      for (const [s, ink, key] of segs) {
        const group = `${s.scroll}/${s.segment.id}`;
        try {
          let bar: ReturnType<typeof progressTracker> | undefined;
          const r = await readSampleSegment(corpus, {
            group,
            segment: ink.segment,
            ink: ink.prob,
            inkRecord: ink.inkRecord,
            truthDir: s.truth,
            labelledXMax: s.segment.labelledXMax,
            lm,
            beam: settings.beam,
            pixelSizeUm: s.scanA.voxelSizeUm,
            glyphsFrom: key === 's2' ? readings.s1?.glyphs : undefined,
            signal,
            onProgress: listener,
          });
          bar?.done();
          readings[key] = r;
          ctx.note(
            `${group}: CER ${(100 * r.cer.off.cer).toFixed(1)} % with the LM off, ${(100 * r.cer.decode.cer).toFixed(1)} % decoded with the LM (${r.cer.decode.letters} letters ${key === 's1' ? `right of x=${r.minX}` : 'in all columns, glyphs from scroll 1'})${r.alignmentNote}`,
          );
        } catch (err) {
          if (key === 's1' || signal?.aborted) throw err;
          readings.s2Error = (err as Error).message;
          ctx.note(`${group}: ${err instanceof NotAvailable ? 'not available yet: ' : 'failed: '}${readings.s2Error}`);
        }
      }
    },
    { optional: true },
  );

  // 9b. the language-conditioned AUNN (reads the AUNN's own rendering, so only where the AUNN renders the layers)
  let conditioned: ConditionedSample | undefined;
  if (settings.inkFromModel) {
    await steps.run(
      'Condition the AUNN on its own reading of scroll 1 (--lm condition, one round)',
      async (ctx) => {
        if (!readings.s1 || !ink1) throw new NotAvailable('scroll 1 was not read');
        const group = readings.s1.group;
        const { NothingToCondition } = await import('../lm-conditioning/condition/index.js');
        conditioned = await once('condition', ctx, async () => {
          const { loadKneserNey } = await import('../lm-conditioning/models.js');
          return conditionSample(corpus, {
            group,
            segment: ink1.ink.segment,
            truthDir: s1.truth,
            labelledXMax: s1.segment.labelledXMax,
            lm: await loadKneserNey(undefined, signal),
            beam: settings.beam,
            fromModelDir: modelDir,
            modelDir: path.join(work, 'model-conditioned'),
            pixelSizeUm: s1.scanA.voxelSizeUm,
            signal,
            onStage: (stage) => print(`   ${stage}`),
          });
        }).catch((err: unknown) => {
          if (!(err instanceof NothingToCondition)) throw err;
          // A result to report: the rendering carried too little ink for the loss; the reading stays as decoded.
          ctx.note(`ran, and did not change the model: ${err.message}`);
          return undefined;
        });
        if (!conditioned) return;
        ctx.note(
          `decode on the AUNN's rendering (v${conditioned.fromVersion}): CER ${(100 * conditioned.before.cer).toFixed(1)} %; after one round (v${conditioned.toVersion}): ${(100 * conditioned.after.cer).toFixed(1)} %; rendered band ${conditioned.psnrBefore.toFixed(2)} -> ${conditioned.psnrAfter.toFixed(2)} dB`,
        );
      },
      { optional: true },
    );
  }

  // 10. exports
  const exported: string[] = [];
  await steps.run(
    'Export the read text (txt, Leiden, EpiDoc) and column pictures (PNG)',
    async (ctx) => {
      const groups = [readings.s1?.group, readings.s2?.group].filter((g): g is string => !!g);
      if (groups.length === 0) throw new NotAvailable('there is no reading to export');
      const { exportReading } = await import('../lm-conditioning/export/export-reading.js');
      for (const g of groups)
        exported.push(...(await exportReading(corpusDir, g, ['txt', 'leiden', 'epidoc', 'png'], exportsDir)));
      ctx.note(`${exported.length} files in ${exportsDir}`);
    },
    { optional: true },
  );

  // 11. the report
  return {
    steps,
    conditioned,
    exported,
    finetuned,
    forgetting,
    imagesDir,
    ink1,
    ink2,
    opts,
    out,
    overview,
    readings,
    report,
    s1,
    s2,
    scratch,
    settings,
    started,
    train1,
    transferSteps,
  };
}

/** What the demo's steps produced, for the report. */
export type DemoRun = Awaited<ReturnType<typeof runDemoSteps>>;
