/**
 * `aunn train --corpus DIR --model DIR [--minutes M | --steps N] [--schedule minibatch|serial|anneal] ...`:
 * trains the AUNN over the corpus' trainable records in worker threads, with a progress bar (loss, PSNR,
 * samples/s, ETA). Resumes an unfinished run in --model (after Ctrl-C or a crash); on a finished model, trains more.
 *
 *   aunn train --corpus ./corpus --model ./model --minutes 3
 */
import { Command, InvalidArgumentError } from 'commander';
import { UserError } from '../../core/errors.js';
import { progress } from '../progress.js';
import { trainModel, type TrainOptions, type TrainResult } from '../../model/index.js';
import type { DeepPartial, ModelConfig, ScheduleKind } from '../../model/index.js';

export function positive(v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('must be a positive number');
  return n;
}

export function positiveInt(v: string): number {
  const n = positive(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** Parses argv with commander; bad options become one-line UserErrors. */
export function parseArgs(cmd: Command, argv: string[]): Record<string, unknown> | undefined {
  cmd.exitOverride().configureOutput({ writeErr: () => {} });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help') {
      return undefined; // commander has printed the help
    }
    throw new UserError((e.message ?? String(err)).replace(/^error: /, ''), { exitCode: 2 });
  }
  return cmd.opts();
}

/** Runs trainModel with a progress bar and Ctrl-C → checkpoint and stop; prints the summary. */
export async function runTraining(
  label: string,
  opts: TrainOptions,
  json: boolean,
  train: (o: TrainOptions) => Promise<TrainResult> = trainModel,
): Promise<void> {
  const ac = new AbortController();
  // Ctrl-C and SIGTERM (a closing terminal, a job cancelled by the app) stop training with a checkpoint.
  const onSigint = () => {
    process.stderr.write('\nstopping: writing a checkpoint (Ctrl-C again to quit at once)\n');
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const byTime = opts.minutes !== undefined;
  const total = byTime ? Math.round(opts.minutes! * 60) : (opts.steps ?? 0);
  const bar = progress(label, total || 1, { unit: byTime ? 's' : 'steps', quiet: json });
  try {
    const r = await train({
      ...opts,
      signal: ac.signal,
      onProgress: (p) => {
        const info: Record<string, number | string> = {
          loss: p.loss,
          psnr: p.trainPsnr,
          'samples/s': Math.round(p.samplesPerS),
        };
        if (p.heldOutPsnr !== undefined) info['held-out'] = p.heldOutPsnr;
        bar.set(byTime ? Math.round(p.elapsedMs / 1000) : p.runSteps, info);
        opts.onProgress?.(p);
      },
    });
    bar.done();
    const summary = {
      model: r.file,
      version: r.version,
      resumed: r.resumed,
      backend: r.backend,
      threads: r.threads,
      steps: r.step,
      stepsThisRun: r.stepsThisCall,
      samplesPerS: Math.round(r.samplesPerS),
      heldOutPsnr: +r.heldOutPsnr.toFixed(2),
      perRecordPsnr: Object.fromEntries(Object.entries(r.perRecordPsnr).map(([k, v]) => [k, +v.toFixed(2)])),
      finished: r.header.run.done,
    };
    if (json) console.log(JSON.stringify(summary));
    else {
      console.log(
        `${label}: ${r.resumed ? 'resumed, ' : ''}${summary.steps} steps (${summary.stepsThisRun} now) on ${r.backend} × ${r.threads} threads, ${summary.samplesPerS} samples/s`,
      );
      console.log(
        `held-out PSNR ${summary.heldOutPsnr} dB${r.header.run.done ? '' : ' (stopped early; run again to resume)'} → ${r.file}`,
      );
      for (const [k, v] of Object.entries(summary.perRecordPsnr)) console.log(`  ${k.padEnd(48)} ${v} dB`);
    }
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

export async function run(argv: string[]): Promise<void> {
  const cmd = new Command('aunn train')
    .description('train the AUNN over every trainable record of a corpus (resumes an unfinished run)')
    .requiredOption('--corpus <dir>', 'corpus folder')
    .requiredOption('--model <dir>', 'model folder (v0001.ckpt, v0002.ckpt, …)')
    .option('--minutes <m>', 'train this long', positive)
    .option('--steps <n>', 'train this many optimizer steps', positiveInt)
    .option('--schedule <kind>', 'minibatch | serial | anneal')
    .option('--records <names>', 'comma-separated record names (default: all trainable)')
    .option('--scroll <name>', 'only the trainable records of this scroll')
    .option('--encoding <kind>', 'new model: bits | bits+physical | bits+grid')
    .option('--width <n>', 'new model: hidden width', positiveInt)
    .option('--depth <n>', 'new model: hidden layers', positiveInt)
    .option('--batch <n>', 'new model: batch size', positiveInt)
    .option('--persistency <k>', 'new model: optimizer steps on each minibatch (default 1)', positiveInt)
    .option(
      '--max-memory <MiB>',
      'bound on the training data held in memory (default: the model config, 2048)',
      positive,
    )
    .option('--lr <x>', 'peak learning rate of this run', positive)
    .option('--threads <n>', 'worker threads (default 2)', positiveInt)
    .option('--checkpoint-every <s>', 'seconds between checkpoints (default 30)', positive)
    .option('--json', 'print the summary as JSON');
  const o = parseArgs(cmd, argv) as
    | {
        corpus: string;
        model: string;
        minutes?: number;
        steps?: number;
        schedule?: string;
        records?: string;
        scroll?: string;
        encoding?: string;
        width?: number;
        depth?: number;
        batch?: number;
        persistency?: number;
        maxMemory?: number;
        lr?: number;
        threads?: number;
        checkpointEvery?: number;
        json?: boolean;
      }
    | undefined;
  if (!o) return;
  if (o.minutes !== undefined && o.steps !== undefined) throw new UserError('give --minutes or --steps, not both');
  if (o.schedule && !['minibatch', 'serial', 'anneal'].includes(o.schedule))
    throw new UserError(`--schedule ${o.schedule}: use minibatch, serial or anneal`);
  if (o.encoding && !['bits', 'bits+physical', 'bits+grid'].includes(o.encoding))
    throw new UserError(`--encoding ${o.encoding}: use bits, bits+physical or bits+grid`);
  let records = o.records
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (o.scroll) {
    const { Corpus } = await import('../../corpus/index.js');
    const corpus = await Corpus.open(o.corpus);
    records = corpus
      .records({ scroll: o.scroll, trainable: true })
      .filter((r) => r.modality !== 'prediction')
      .map((r) => r.name);
    if (records.length === 0) throw new UserError(`${o.corpus}: no trainable records of scroll '${o.scroll}'`);
  }
  const config: DeepPartial<ModelConfig> = {
    ...(o.encoding ? { encoding: { kind: o.encoding as ModelConfig['encoding']['kind'] } } : {}),
    ...(o.width ? { width: o.width } : {}),
    ...(o.depth ? { depth: o.depth } : {}),
    ...(o.batch || o.persistency
      ? {
          train: {
            ...(o.batch ? { batchSize: o.batch } : {}),
            ...(o.persistency ? { persistency: o.persistency } : {}),
          },
        }
      : {}),
  };
  await runTraining(
    'train',
    {
      corpusDir: o.corpus,
      modelDir: o.model,
      minutes: o.minutes,
      steps: o.steps,
      schedule: o.schedule as ScheduleKind | undefined,
      records,
      lr: o.lr,
      threads: o.threads,
      maxResidentMB: o.maxMemory,
      checkpointEverySeconds: o.checkpointEvery,
      config: Object.keys(config).length ? config : undefined,
    },
    Boolean(o.json),
  );
}
