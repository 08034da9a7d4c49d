/**
 * `aunn sample --out DIR [--seed N] [--family dev|test] [--size small|medium] [--scroll NAME] [--damage KINDS] [--force]`: writes a synthetic carbonized
 * scroll in the Vesuvius layout (DIR/<scroll>.volpkg), its truth (DIR/truth, never ingested) and previews
 * (DIR/previews/*.png). Same seed, same bytes. See sample-data/generate.ts.
 *
 *   aunn sample --out ./sample --seed 2
 */
import { Command, InvalidArgumentError } from 'commander';
import {
  DAMAGE_KINDS,
  generateSample,
  SAMPLE_SIZES,
  type DamageKind,
  type Family,
  type SampleSize,
} from '../../../sample-data/index.js';
import { UserError } from '../../core/errors.js';
import { progress, type Progress } from '../progress.js';

function nonNegativeInt(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('must be a non-negative integer');
  return Number(v);
}

export async function run(argv: string[]): Promise<void> {
  const cmd = new Command('aunn sample')
    .description('generate the synthetic sample scroll (Vesuvius volpkg layout + truth + previews)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--seed <n>', 'random seed (another seed, another scroll)', nonNegativeInt, 1)
    .option('--family <family>', 'dev (for development and tuning) or test (only for reporting results)', 'dev')
    .option('--size <size>', 'small (160x160x96) or medium (400x400x240); tiny (112x112x64) for quick tests', 'small')
    .option('--scroll <name>', 'scroll name (default sample-s<seed>)')
    .option(
      '--damage <kinds>',
      `damage scan A: ${DAMAGE_KINDS.join(', ')} (comma-separated; a quarter of its slices each, the layers sampled from it)`,
    )
    .option('--force', 'replace an earlier sample in --out')
    .option('--quiet', 'no progress output')
    .option('--json', 'print the summary as JSON')
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    // commander has already printed the help.
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return;
    throw new UserError((e.message ?? String(err)).replace(/^error: /, ''), { exitCode: 2 });
  }
  const o = cmd.opts<{
    out: string;
    seed: number;
    family: string;
    size: string;
    scroll?: string;
    damage?: string;
    force?: boolean;
    quiet?: boolean;
    json?: boolean;
  }>();
  if (!(SAMPLE_SIZES as readonly string[]).includes(o.size))
    throw new UserError(`--size must be small or medium (got '${o.size}')`, { exitCode: 2 });
  const bars = new Map<string, Progress>();
  const summary = await generateSample({
    out: o.out,
    seed: o.seed,
    family: o.family as Family,
    size: o.size as SampleSize,
    scroll: o.scroll,
    damage: o.damage?.split(',').map((d) => d.trim() as DamageKind),
    force: o.force,
    onProgress: ({ stage, done, total }) => {
      if (o.quiet) return;
      let bar = bars.get(stage);
      if (!bar) bars.set(stage, (bar = progress(stage, total, { unit: 'steps' })));
      bar.set(done);
      if (done >= total) bar.done();
    },
  });
  if (o.json) {
    console.log(JSON.stringify(summary, null, 2));
    return;
  }
  const mb = (summary.bytes / 1e6).toFixed(1);
  console.log(
    `sample ${summary.scroll} (seed ${summary.seed}, ${summary.size}) in ${summary.seconds.toFixed(1)} s, ${mb} MB`,
  );
  console.log(`  volpkg   ${summary.volpkg}`);
  console.log(
    `  scan A   ${summary.scanA.id}: ${summary.scanA.shape.join('x')} (z,y,x) ${summary.scanA.voxelSizeUm} µm ${summary.scanA.energyKeV} keV, uint16 TIFF`,
  );
  console.log(
    `  scan B   ${summary.scanB.id}: ${summary.scanB.shape.join('x')} ${summary.scanB.voxelSizeUm} µm ${summary.scanB.energyKeV} keV, uint8 OME-Zarr`,
  );
  console.log(
    `  segment  ${summary.segment.id}: ${summary.segment.layers} layers of ${summary.segment.width}x${summary.segment.height}, labels for x < ${summary.segment.labelledXMax}`,
  );
  console.log(
    `  text     ${summary.letters.total} letters in ${summary.letters.columns} columns of ${summary.letters.linesPerColumn} lines (${summary.letters.unlabelled} unlabelled)`,
  );
  console.log(`  ink CNR at layer 32: ${summary.cnrLayer32.toFixed(2)}`);
  for (const d of summary.damage)
    console.log(
      `  damage   scan ${d.scan} slices ${d.z[0]}-${d.z[1] - 1}: ${d.kind} (segment rows ${d.rows[0]}-${d.rows[1] - 1})`,
    );
  console.log(`  truth    ${summary.truth}`);
}
