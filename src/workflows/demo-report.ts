/**
 * The demo's report: one section per part of the chain, written from what the demo's steps produced (DemoRun) into
 * report.html / report.md with pictures.
 *
 *   await writeReport(run, ctx);   // run from runDemoSteps, ctx the report step's StepContext
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lineChartPng, lineChartSvg, SERIES_COLORS, type LineChart } from './chart.js';
import { heldOutPsnr } from './held-out.js';
import { surfacePlane, type InkRow } from './ink-eval.js';
import { inkComparisonPng } from './pictures.js';
import { evidenceCounts, readingText } from './read-step.js';
import { CONDITION_MIN_CONFIDENCE } from './condition-step.js';
import { fmtSeconds, type StepContext } from './steps.js';
import type { DemoRun } from './demo-steps.js';
import { headlineRows, loadGeneralization } from './generalization-results.js';

const f2 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(2));

/** The report's sections, in order, from what the steps produced. */
export async function writeReport(run: DemoRun, ctx: StepContext): Promise<void> {
  overviewSection(run);
  headlineSection(run);
  trainingSection(run);
  await transferSection(run);
  await inkSection(run);
  textSection(run, ctx);
  await generalizationSection(run);
}

/** The generalization bench's last full run on test scrolls, beside this run's own scroll. */
async function generalizationSection(run: DemoRun): Promise<void> {
  const sec = run.report.section('Generalization: scrolls nobody tuned on');
  const last = await loadGeneralization();
  if (!last) {
    sec.text(
      'No run of the generalization bench is recorded (bench/results/generalization.json); run `npm run bench -- --only generalization`.',
    );
    return;
  }
  sec.text(
    `From \`npm run bench -- --only generalization\` on ${last.seeds.length} ${last.family}-family scrolls (seeds ${last.seeds[0]}-${last.seeds[last.seeds.length - 1]}), measured ${last.date.slice(0, 10)}; mean ± sd (min, n) over scrolls. This demo's own scrolls are dev scrolls 1 and 2 (above).`,
  );
  sec.table(['measure', 'test family'], headlineRows(last));
}

/** The run: when, where, with which settings, on which scrolls. */
function overviewSection(run: DemoRun): void {
  const { opts, overview, s1, s2, scratch, settings, started, train1, transferSteps } = run;
  overview.text(
    `Run ${started.toISOString()} ${opts.quick ? 'with --quick (tiny training budgets: the numbers show the chain works, not what it can reach)' : 'with the default settings'} on ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? 'unknown CPU'}).`,
  );
  overview.table(
    ['setting', 'value'],
    [
      [
        'AUNN engine',
        `${train1.backend === 'onnxruntime' ? 'ONNX Runtime (native CPU)' : `TensorFlow.js, backend ${train1.backend}`}, ${train1.threads} worker threads`,
      ],
      ['AUNN network', train1.network ?? 'n/a'],
      ['AUNN training on scroll 1', `${settings.trainSteps} steps (${train1.seconds.toFixed(0)} s here)`],
      ['finetune / scratch steps', transferSteps],
      [
        'ink readout budget',
        `${settings.readoutEnsemble} network${settings.readoutEnsemble > 1 ? 's' : ''} x ${settings.readoutSteps} steps`,
      ],
      ['sample size', settings.sampleSize],
      ['LM beam width', settings.beam],
    ],
  );
  overview.table(
    [
      'scroll',
      'role',
      'scan A (z,y,x)',
      'segment (W x H x layers)',
      'letters',
      'unlabelled letters',
      'labelled columns x <',
    ],
    [
      [
        s1.scroll,
        'labelled scroll',
        s1.scanA.shape.join('x'),
        `${s1.segment.width}x${s1.segment.height}x${s1.segment.layers}`,
        s1.letters.total,
        s1.letters.unlabelled,
        s1.segment.labelledXMax,
      ],
      [
        s2.scroll,
        'new scroll (labels not used)',
        s2.scanA.shape.join('x'),
        `${s2.segment.width}x${s2.segment.height}x${s2.segment.layers}`,
        s2.letters.total,
        s2.letters.unlabelled,
        'none used',
      ],
    ],
  );
}

/** The headline numbers against the goals. */
function headlineSection(run: DemoRun): void {
  const { conditioned, finetuned, ink1, ink2, out, overview, readings, s1, s2, scratch } = run;
  // the headline numbers against the goals of the issues
  const pick = (rows: InkRow[] | undefined, method: string, layers = 'observed') =>
    rows?.find((r) => r.method.startsWith(method) && r.layers === layers)?.score.f05;
  const pct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : `${(100 * v).toFixed(1)} %`);
  const fx = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(3));
  overview.text('Results at a glance:');
  overview.table(
    ['measure', 'value', 'goal'],
    [
      ['ink F0.5, scroll 1 unlabelled two thirds (conv readout)', fx(pick(ink1?.ink.rows, 'conv readout')), '>= 0.7'],
      ['ink F0.5, scroll 1, logistic baseline', fx(pick(ink1?.ink.rows, 'logistic')), 'below the readout'],
      ['ink F0.5, scroll 2 cross-scroll (conv readout)', fx(pick(ink2?.rows, 'conv readout')), '>= 0.5'],
      [
        'held-out PSNR on scroll 2, finetuned / scratch (dB, equal steps)',
        `${f2(finetuned?.heldOutPsnr)} / ${f2(scratch?.heldOutPsnr)}`,
        'finetuned higher',
      ],
      [
        'CER scroll 1 unlabelled, LM decode / off',
        `${pct(readings.s1?.cer.decode.cer)} / ${pct(readings.s1?.cer.off.cer)}`,
        '<= 15 % with the LM',
      ],
      ...(conditioned
        ? [
            [
              "CER scroll 1 read off the AUNN's own rendering: decode / after conditioning",
              `${pct(conditioned.before.cer)} / ${pct(conditioned.after.cer)}`,
              'conditioning lowers it',
            ],
          ]
        : []),
      [
        'CER scroll 2 (glyphs from scroll 1), LM decode / off',
        `${pct(readings.s2?.cer.decode.cer)} / ${pct(readings.s2?.cer.off.cer)}`,
        '',
      ],
    ],
  );
}

/** How the AUNN trained on scroll 1. */
function trainingSection(run: DemoRun): void {
  const { finetuned, out, report, scratch, train1 } = run;
  const trainSec = report.section('AUNN training');
  trainSec.table(
    ['run', 'model', 'steps', 'time', 'samples/s', 'held-out PSNR (dB)'],
    [
      [
        'train on scroll 1',
        `v${train1.version}`,
        train1.stepsThisCall,
        fmtSeconds(train1.seconds),
        Math.round(train1.samplesPerS),
        f2(train1.heldOutPsnr),
      ],
      ...(finetuned
        ? [
            [
              'finetune on scroll 2',
              `v${finetuned.version}`,
              finetuned.stepsThisCall,
              fmtSeconds(finetuned.seconds),
              Math.round(finetuned.samplesPerS),
              f2(finetuned.heldOutPsnr),
            ] as (string | number)[],
          ]
        : []),
      ...(scratch
        ? [
            [
              'scratch on scroll 2',
              'separate',
              scratch.stepsThisCall,
              fmtSeconds(scratch.seconds),
              Math.round(scratch.samplesPerS),
              f2(scratch.heldOutPsnr),
            ] as (string | number)[],
          ]
        : []),
    ],
  );
  trainSec.table(
    ['record (scroll 1)', 'held-out PSNR (dB) after training'],
    Object.entries(train1.perRecordPsnr).map(([k, v]) => [k, f2(v)]),
  );
}

/** Finetuned vs from scratch on scroll 2, and what scroll 1 forgot. */
async function transferSection(run: DemoRun): Promise<void> {
  const { finetuned, forgetting, imagesDir, out, report, scratch } = run;
  const transfer = report.section('Transfer: finetuned vs from scratch on scroll 2');
  if (finetuned && scratch && finetuned.curve.length && scratch.curve.length) {
    const chart: LineChart = {
      xLabel: 'training steps on scroll 2',
      yLabel: 'held-out PSNR on scroll 2 (dB)',
      series: [
        { name: 'finetuned from the scroll-1 model', points: finetuned.curve },
        { name: 'same network from scratch', points: scratch.curve },
      ],
    };
    await writeFile(path.join(imagesDir, 'transfer.png'), lineChartPng(chart));
    transfer.chart(
      lineChartSvg(chart),
      'images/transfer.png',
      `Held-out PSNR on scroll 2 vs steps: ${SERIES_COLORS[0]!.name} = finetuned from the scroll-1 model, ${SERIES_COLORS[1]!.name} = the same network from scratch (equal steps).`,
    );
    const steps2 = [...new Set([...finetuned.curve.map((p) => p[0]), ...scratch.curve.map((p) => p[0])])].sort(
      (a, b) => a - b,
    );
    const at = (c: [number, number][], s: number) => c.find((p) => p[0] === s)?.[1];
    transfer.table(
      ['steps', 'finetuned PSNR (dB)', 'scratch PSNR (dB)'],
      steps2.map((s) => [s, f2(at(finetuned.curve, s)), f2(at(scratch.curve, s))]),
    );
    const target = scratch.curve[scratch.curve.length - 1]![1];
    const reach = finetuned.curve.find((p) => p[1] >= target)?.[0];
    transfer.text(
      reach !== undefined
        ? `Speed-up: the finetuned model reached the scratch run's final ${target.toFixed(2)} dB after ${reach} steps, the scratch run needed ${scratch.stepsThisCall} (${(scratch.stepsThisCall / reach).toFixed(1)}x).`
        : `Speed-up: the finetuned model did not reach the scratch run's final ${target.toFixed(2)} dB within ${finetuned.stepsThisCall} steps.`,
    );
  } else transfer.text('Not available: the finetune or the scratch run did not complete (see the step table).');
  if (forgetting) {
    transfer.text(
      `Forgetting: scroll 1's held-out PSNR (same ${forgetting.before.samples} held-out voxels) was ${f2(forgetting.before.psnr)} dB with v1 and is ${f2(forgetting.after.psnr)} dB after finetuning (v${finetuned?.version}).`,
    );
    transfer.table(
      ['record (scroll 1)', 'v1 PSNR (dB)', `v${finetuned?.version} PSNR (dB)`],
      Object.keys(forgetting.before.perRecord).map((k) => [
        k,
        f2(forgetting.before.perRecord[k]),
        f2(forgetting.after.perRecord[k]),
      ]),
    );
  }
}

/** Ink: readouts and their F0.5 on both scrolls, with pictures. */
async function inkSection(run: DemoRun): Promise<void> {
  const { finetuned, imagesDir, ink1, ink2, report, s1, s2, settings } = run;
  const rel = (f: string) => path.relative(run.out, f).split(path.sep).join('/');
  const inkSec = report.section('Ink');
  const rows: InkRow[] = [...(ink1?.ink.rows ?? []), ...(ink2?.rows ?? [])];
  if (rows.length) {
    inkSec.text(
      "F0.5 as in the Vesuvius Challenge ink detection (threshold chosen where labels are known: on scroll 1's labelled third; scroll 2 uses scroll 1's thresholds). The conv readout reads a band of surface layers; it is trained on scroll 1's labelled third only.",
    );
    inkSec.table(
      ['method', 'layers', 'scroll', 'evaluated on', 'F0.5', 'precision', 'recall', 'AUC', 'threshold'],
      rows.map((r) => [
        r.method,
        r.layers,
        r.scroll,
        r.evaluated,
        ...[r.score.f05, r.score.precision, r.score.recall, r.score.auc, r.score.threshold].map((v) => v.toFixed(3)),
      ]),
    );
    const psnrs = [ink1?.ink.reconstructionPsnr, ink2?.reconstructionPsnr];
    if (!settings.inkFromModel)
      inkSec.text(
        "The readout on the AUNN's reconstruction of the layers is skipped with --quick (it predicts every voxel of the layer band).",
      );
    else
      inkSec.text(
        `The AUNN's reconstruction of the readout's layers vs the observed layers: PSNR ${f2(psnrs[0])} dB (scroll 1, model v1), ${f2(psnrs[1])} dB (scroll 2, model v${finetuned?.version ?? '?'}).`,
      );
    if (ink1)
      inkSec.text(
        `Ink readout: ${ink1.readoutInfo.networks ?? 1} network(s) averaged (an ensemble: its mean is the ink probability), ${ink1.readoutInfo.steps} steps in ${ink1.readoutInfo.seconds.toFixed(1)} s, layers ${ink1.readoutInfo.band.from}..${ink1.readoutInfo.band.to}.`,
      );
  } else inkSec.text('Not available (see the step table).');
  for (const [label, ink, s] of [
    ['scroll 1', ink1?.ink, s1],
    ['scroll 2', ink2, s2],
  ] as const) {
    if (!ink) continue;
    const file = path.join(imagesDir, `ink-${s.scroll}.png`);
    await writeFile(
      file,
      inkComparisonPng({
        height: ink.segment.height,
        width: ink.segment.width,
        surface: surfacePlane(ink.segment),
        prob: ink.prob,
        truth: ink.truth,
        threshold: ink.threshold,
        sheetMask: ink.segment.sheetMask,
        labelledXMax: label === 'scroll 1' ? s.segment.labelledXMax : undefined,
      }),
    );
    inkSec.image(
      rel(file),
      `${label} (${s.scroll}), top to bottom: observed surface layer ${ink.segment.surface}; predicted ink (dark = ink); truth; prediction vs truth at threshold ${ink.threshold.toFixed(2)} (white = hit, red = false ink, blue = missed)${label === 'scroll 1' ? '; yellow line: end of the labelled third' : ''}.`,
    );
  }
}

/** The text read off both segments, its CER, and the exports. */
function textSection(run: DemoRun, ctx: StepContext): void {
  const { conditioned, exported, out, readings, report, s1, s2 } = run;
  const rel = (f: string) => path.relative(out, f).split(path.sep).join('/');
  const textSec = report.section('Text');
  const cerRows: (string | number)[][] = [];
  for (const [label, r] of [
    ['scroll 1', readings.s1],
    ['scroll 2', readings.s2],
  ] as const) {
    if (!r) continue;
    const where =
      label === 'scroll 1'
        ? `columns right of x=${r.minX}`
        : `all columns (cross-scroll, map read at scale ${r.scale.toFixed(2)})`;
    const ev = evidenceCounts(r.reading);
    const evidence = `${ev.ink} / ${ev.lm} / ${ev.lost}`;
    cerRows.push(
      [label, 'off', r.cer.off.cer.toFixed(3), r.cer.off.errors, r.cer.off.letters, '', where],
      [label, 'decode', r.cer.decode.cer.toFixed(3), r.cer.decode.errors, r.cer.decode.letters, evidence, where],
    );
    if (label === 'scroll 1' && conditioned) {
      const c = conditioned;
      cerRows.push(
        [
          label,
          `condition: decode on the AUNN's rendering (v${c.fromVersion})`,
          c.before.cer.toFixed(3),
          c.before.errors,
          c.before.letters,
          '',
          where,
        ],
        [
          label,
          `condition: after one round (v${c.toVersion})`,
          c.after.cer.toFixed(3),
          c.after.errors,
          c.after.letters,
          '',
          where,
        ],
      );
    }
  }
  if (cerRows.length) {
    textSec.text(
      "Character error rate of the read text against the truth (truth/text.json). Scroll 1: the columns right of its labelled third, where the glyphs were learned with the known text. Scroll 2 (no labels of its own): all its columns, read with scroll 1's glyphs. LM: Kneser-Ney character model of the SBL Greek New Testament (SBLGNT, CC BY 4.0), beam search.",
    );
    textSec.table(
      ['scroll', 'LM', 'CER', 'errors', 'letters', 'read letters: ink / LM-supplied / lost', 'evaluated on'],
      cerRows,
    );
  } else textSec.text('Not available (see the step table).');
  if (readings.s2Error) textSec.text(`Scroll 2: not available yet: ${readings.s2Error}`);
  if (conditioned) {
    const c = conditioned;
    // Say plainly when no letter was confident enough to render a target: the round then moved nothing toward the ink.
    const round =
      c.layerPairs !== 0
        ? `one round of conditioning moves the AUNN toward that reading (${c.layerPairs === undefined ? '' : `${c.letters} confident letters rendered as ${c.layerPairs} layer pseudo-targets; `}rendering loss ${c.loss.toExponential(2)} -> ${c.lossAfter.toExponential(2)}, band ${c.psnrAfter.toFixed(2)} dB)`
        : c.toVersion === c.fromVersion
          ? `no letter of that reading was confident enough (${CONDITION_MIN_CONFIDENCE}) to render an expected ink, so the round had no layer target and left the AUNN as it was (a round on the reading's ${c.textLetters ?? 0} text letters alone pulls the rendered layers away from the scan); the reading after is the reading before`
          : `one round of conditioning ran, but no letter of that reading was confident enough (${CONDITION_MIN_CONFIDENCE}) to render an expected ink, so the round had no layer target: it trained on the reading's ${c.textLetters ?? 0} text letters (and replay) only, and any change below comes from that (band ${c.psnrAfter.toFixed(2)} dB)`;
    textSec.text(
      `Language-conditioned AUNN (\`aunn read --lm condition\`, on a copy of the scroll-1 model): the ink readout reads the AUNN's own rendering of the layers (band PSNR ${c.psnrBefore.toFixed(2)} dB against the observed ones), the text is read from it, ${round}, and the text is read again. ` +
        "It can only help where the rendering carries the ink: here the readout on the AUNN's layers scores well below the observed ones (see Ink), so these readings are far worse than the decode of the observed ink. Scroll 2 is not conditioned: the conditioning learns its glyphs from the segment's own labelled region, which the new scroll does not have.",
    );
  }
  for (const [label, r] of [
    ['scroll 1', readings.s1],
    ['scroll 2', readings.s2],
  ] as const) {
    if (!r) continue;
    textSec.text(`Read text of ${label} (${r.group}), decoded with the LM:`);
    textSec.pre(readingText(r.reading));
  }
  if (exported.length) {
    textSec.text('Exports:');
    textSec.table(
      ['file'],
      exported.map((f) => [rel(f)]),
    );
    for (const f of exported.filter((x) => x.endsWith('.png')).slice(0, 2))
      textSec.image(rel(f), `column picture ${path.basename(f)}: read letters over the ink, with a scale bar`);
  }
  ctx.note(`report in ${out}`);
}
