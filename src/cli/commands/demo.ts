/**
 * `aunn demo [--out DIR] [--quick] [--fresh]` (`npm run demo`): the whole chain on the bundled sample scrolls —
 * sample → corpus → train → ink → finetune on a new scroll → ink → read → export — and a report
 * (DIR/report.html, DIR/report.md, DIR/images/*.png, DIR/exports/*). See src/workflows/run-demo.ts.
 * Ctrl-C stops at once (a training run keeps its checkpoint; running the demo again resumes where it stopped).
 *
 *   aunn demo                       # default settings, about 12 minutes on 2 cores
 *   aunn demo --quick --out /tmp/d  # tiny budgets (under a minute on 2 cores)
 */
import path from 'node:path';
import { Command } from 'commander';
import { runDemo } from '../../workflows/run-demo.js';
import { UserError } from '../../core/errors.js';
import { terminalProgress } from '../progress.js';

export async function run(argv: string[]): Promise<void> {
  const o = new Command('aunn demo')
    .description('run the whole chain on the bundled sample scrolls and write a report')
    .option('--out <dir>', 'output folder (samples, corpus, models, report)', 'demo-output')
    .option(
      '--quick',
      'tiny training budgets (under a minute on 2 cores): shows the chain works, not what it can reach',
    )
    .option('--fresh', 'rebuild the corpus and the models even when the settings are unchanged')
    .parse(argv, { from: 'user' })
    .opts<{ out: string; quick?: boolean; fresh?: boolean }>();
  const controller = new AbortController();
  const onSigint = () => {
    process.stderr.write('\nstopping the demo (Ctrl-C)…\n');
    controller.abort(new UserError('interrupted'));
  };
  process.once('SIGINT', onSigint);
  const t0 = performance.now();
  try {
    const r = await runDemo({
      out: o.out,
      quick: Boolean(o.quick),
      fresh: Boolean(o.fresh),
      signal: controller.signal,
      onProgress: terminalProgress(),
    });
    const failed = r.steps.entries.filter((e) => e.status === 'failed');
    console.log(`\ndemo finished in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    for (const e of r.steps.entries)
      console.log(
        `  ${String(e.n).padStart(2)}. ${e.title.padEnd(80)} ${e.status.padEnd(13)} ${e.seconds.toFixed(1).padStart(7)} s`,
      );
    console.log(
      `report: ${path.relative(process.cwd(), r.report.html) || r.report.html} and ${path.relative(process.cwd(), r.report.markdown) || r.report.markdown}`,
    );
    if (failed.length) process.exitCode = 1;
  } catch (err) {
    if (controller.signal.aborted)
      throw new UserError('interrupted: the demo stopped; run it again to go on (finished steps are reused)', {
        cause: err,
      });
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
