/**
 * `aunn demo`, the whole chain on the bundled sample: two synthetic scrolls (seed 1 with ink labels on its first
 * third, seed 2 the "new scroll") → a fresh corpus → ingest scroll 1 → train the AUNN on it → ink readout on its
 * labelled third and ink for scroll 1 (F0.5 table) → ingest scroll 2 without its labels → finetune on scroll 2 and
 * the same network from scratch with equal steps (transfer curve; scroll 1 before/after: forgetting) → ink for
 * scroll 2 (cross-scroll) → read both segments' text (LM off vs decode, CER against the truth) → exports → a report
 * (report.html + report.md + PNGs) in `out`. Each step prints a header and its time; a missing piece of the app is
 * reported as "not available yet", never faked. Re-running reuses the samples, and the corpus and models too while
 * the settings are unchanged (`fresh` rebuilds them).
 *
 *   const { report, steps } = await runDemo({ out: 'demo-output', quick: false, fresh: false, signal });
 */
import { runDemoSteps, type DemoOptions } from './demo-steps.js';
import { writeReport } from './demo-report.js';
import { fmtSeconds, type StepLog } from './steps.js';

export type { DemoOptions };

export interface DemoResult {
  report: { html: string; markdown: string };
  steps: StepLog;
  exports: string[];
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const run = await runDemoSteps(opts);
  const { steps, report, out } = run;
  await steps.run('Report', (ctx) => writeReport(run, ctx));

  const timing = report.section('Steps and times');
  timing.table(
    ['#', 'step', 'status', 'time (s)', 'notes'],
    steps.entries.map((e) => [e.n, e.title, e.status, e.seconds.toFixed(1), e.error ?? e.notes.join('; ')]),
  );
  timing.text(
    `Total: ${fmtSeconds(steps.totalSeconds)}. Reused steps show the time of this run (their original time is in the notes).`,
  );
  const written = await report.write(out);
  return { report: written, steps, exports: run.exported };
}
