/**
 * `aunn ink --corpus DIR --segment S [--model DIR] [--source observed|model] [--train-labels GROUP,...] [--out DIR]`:
 * the ink probability of a segment on its flattened grid, read from the layers (observed, or the AUNN's
 * reconstruction) by the ink readout. The readout is loaded from beside the model (or from the corpus), or trained on
 * the labelled segments when there is none (or with --retrain / --train-labels): an ensemble of --ensemble networks
 * (default 3) whose mean is the prediction. Writes the probability into the
 * corpus as a derived 'ink' record of the segment, plus PNG and TIFF exports; with --truth, scores it like the field.
 *
 *   aunn ink --corpus corpus --segment sample-s2/20260105140200 --out exports/ink
 *   aunn ink --corpus corpus --segment sample-s1/20260104140100 --truth sample/truth/inklabels.png --json
 */
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { Corpus } from '../../corpus/index.js';
import { evaluateInk, type InkScore } from '../../ink/index.js';
import { readGrayImage } from '../../ink/index.js';
import { ensureReadout, exportInkImages, photoAgreement, predictInk, type LayerSource } from '../../ink/index.js';
import { labelledPixels } from '../../ink/index.js';
import { UserError } from '../../core/errors.js';
import { terminalProgress } from '../progress.js';

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

export async function run(argv: string[]): Promise<void> {
  const cmd = new Command('aunn ink')
    .description('predict the ink of a segment with the ink readout (trained on the labelled segments)')
    .requiredOption('--corpus <dir>', 'corpus folder')
    .requiredOption('--segment <name>', 'segment: its group (scroll/segment), layers record name, or segment id')
    .option('--model <dir>', 'AUNN model folder (the readout is kept beside it; needed for --source model)')
    .option('--source <kind>', 'layers to read: observed | model (the AUNN reconstruction)', 'observed')
    .option('--train-labels <groups>', 'train the readout on these labelled segments (comma-separated groups)')
    .option('--retrain', 'train the readout again even when one is saved')
    .option('--seconds <s>', 'training time limit (a guard; the step budget decides)', positive, 300)
    .option('--steps <n>', 'training steps (more overfits the labelled letters on the sample)', positive, 150)
    .option('--seed <n>', 'training seed', positive, 1)
    .option(
      '--ensemble <k>',
      'networks to train (seeds seed..seed+k-1, --steps each); the readout predicts their mean',
      positive,
      3,
    )
    .option('--out <dir>', 'folder for the PNG/TIFF exports (default <corpus>/exports/ink)')
    .option('--truth <png>', 'full ink labels of this segment: print F0.5, precision, recall, AUC')
    .option('--no-write', 'do not write the prediction into the corpus')
    .option('--quiet', 'no progress output')
    .option('--json', 'print the summary as JSON')
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.help') return; // commander has printed the help
    throw new UserError(`aunn ink: ${(err as Error).message.replace(/^error: /, '')}`, { cause: err });
  }
  const o = cmd.opts<{
    corpus: string;
    segment: string;
    model?: string;
    source: string;
    trainLabels?: string;
    retrain?: boolean;
    seconds: number;
    steps: number;
    seed: number;
    ensemble: number;
    out?: string;
    truth?: string;
    write: boolean;
    quiet?: boolean;
    json?: boolean;
  }>();
  if (o.source !== 'observed' && o.source !== 'model')
    throw new UserError(`--source must be observed or model, not '${o.source}'`);
  const source = o.source as LayerSource;
  if (source === 'model' && !o.model) throw new UserError('--source model needs --model DIR');
  const controller = new AbortController();
  const onSigint = () => controller.abort(new UserError('interrupted'));
  process.once('SIGINT', onSigint);
  const say = (line: string) => {
    if (!o.quiet && !o.json) process.stderr.write(`${line}\n`);
  };
  try {
    const corpus = await Corpus.open(o.corpus);
    const t0 = performance.now();
    const ensured = await ensureReadout(corpus, {
      modelDir: o.model,
      source,
      trainGroups: o.trainLabels
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      retrain: o.retrain,
      maxSeconds: o.seconds,
      maxSteps: Math.round(o.steps),
      seed: Math.round(o.seed),
      ensemble: Math.round(o.ensemble),
      signal: controller.signal,
      onStage: say,
      onProgress: terminalProgress({ quiet: o.quiet || o.json }),
    });
    const trainSeconds = (performance.now() - t0) / 1000;
    if (ensured.trained)
      say(
        `readout trained in ${trainSeconds.toFixed(1)} s (${ensured.trained.steps} steps, best at ${ensured.trained.bestStep}, layers ${ensured.readout.band.from}..${ensured.readout.band.to}) → ${ensured.file}`,
      );
    else say(`readout loaded from ${ensured.file}`);
    const t1 = performance.now();
    const result = await predictInk(corpus, o.segment, ensured.readout, {
      source,
      modelDir: o.model,
      signal: controller.signal,
      write: o.write,
    });
    const seg = result.loaded.segment;
    const segId = String(result.loaded.layersRecord.extra?.segment ?? path.basename(seg.name));
    const outDir = path.resolve(o.out ?? path.join(corpus.dir, 'exports', 'ink'));
    const files = await exportInkImages(result.prob, seg, outDir, segId, ensured.readout.threshold);
    let score: InkScore | undefined;
    if (o.truth) {
      const truth = await readGrayImage(o.truth, seg);
      // threshold from this segment's labelled region when it has one, else the readout's own (chosen on its labels)
      const labelled = labelledPixels(seg);
      const hasLabels = labelled.some((v) => v !== 0);
      score = evaluateInk(result.prob, truth, labelled, {
        sheetMask: seg.sheetMask,
        labels: seg.labels,
        threshold: hasLabels ? undefined : ensured.readout.threshold,
      });
    }
    // A photograph of the segment (a fragment's infrared photo) is evidence where there are no labels.
    const photo = result.loaded.photo
      ? {
          record: result.loaded.photoRecord!.name,
          ...photoAgreement(result.prob, result.loaded.photo, seg.sheetMask, photoInk(result.loaded.photoRecord!)),
        }
      : undefined;
    const summary = {
      segment: seg.name,
      source,
      readout: ensured.file,
      trained: ensured.trained
        ? {
            seconds: trainSeconds,
            steps: ensured.trained.steps,
            bestStep: ensured.trained.bestStep,
            band: ensured.readout.band,
          }
        : undefined,
      threshold: ensured.readout.threshold,
      record: result.record?.name,
      psnr: result.psnr,
      predictSeconds: (performance.now() - t1) / 1000,
      files,
      score,
      photo,
      missingPixels: result.loaded.missingPixels,
    };
    if (o.json) console.log(JSON.stringify(summary));
    else {
      console.log(`ink ${seg.name} (${source} layers) → ${summary.record ?? '(not written)'}`);
      if (result.psnr !== undefined)
        console.log(`  model reconstruction vs observed layers: PSNR ${result.psnr.toFixed(2)} dB`);
      for (const f of files) console.log(`  ${f}`);
      if (summary.missingPixels)
        console.log(
          `  ${summary.missingPixels} pixels have no data (0 in the layers at the surface: a slab missing from the scan?): left out, no ink predicted there`,
        );
      if (photo)
        console.log(
          `  agreement with the photo ${photo.record}: AUC ${photo.auc.toFixed(3)} (its ink: ${(100 * photo.inkShare).toFixed(1)}% of ${photo.pixels} pixels, Otsu threshold ${photo.threshold.toFixed(1)})`,
        );
      if (score)
        console.log(
          `  F0.5 ${score.f05.toFixed(3)}  precision ${score.precision.toFixed(3)}  recall ${score.recall.toFixed(3)}  AUC ${score.auc.toFixed(3)}  threshold ${score.threshold.toFixed(3)} (unlabelled pixels: ${score.pixels})`,
        );
    }
  } catch (err) {
    if (controller.signal.aborted)
      throw new UserError('aunn ink: interrupted; nothing was written to the corpus', { cause: err });
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Which way ink shows in a photo record (its ingest says; infrared photos show it dark). */
function photoInk(rec: { extra?: Record<string, unknown> }): 'dark' | 'bright' {
  return rec.extra?.inkIs === 'bright' ? 'bright' : 'dark';
}
