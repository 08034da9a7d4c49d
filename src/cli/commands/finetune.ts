/**
 * `aunn finetune --model DIR --corpus DIR --scroll NAME [--minutes M | --steps N]`: trains a new model version on a
 * newly ingested scroll, replaying the records the model already knows. The previous version stays (v000N.ckpt);
 * Ctrl-C writes a checkpoint of the new version, and running the command again resumes it.
 *
 *   aunn finetune --model ./model --corpus ./corpus --scroll sample-s2 --minutes 3
 */
import { Command } from 'commander';
import { UserError } from '../../core/errors.js';
import { finetuneModel } from '../../model/index.js';
import { parseArgs, positive, positiveInt, runTraining } from './train.js';
import type { ScheduleKind } from '../../model/index.js';
import type { TrainOptions } from '../../model/index.js';

export async function run(argv: string[]): Promise<void> {
  const cmd = new Command('aunn finetune')
    .description('one-shot finetune a trained model on a new scroll (saves a new model version)')
    .requiredOption('--model <dir>', 'model folder')
    .requiredOption('--corpus <dir>', 'corpus folder (the new scroll already ingested)')
    .requiredOption('--scroll <name>', 'the new scroll')
    .option('--minutes <m>', 'train this long', positive)
    .option('--steps <n>', 'train this many steps', positiveInt)
    .option('--replay <fraction>', 'share of each batch replayed from earlier records (default 0.3)', positive)
    .option('--lr <x>', 'peak learning rate', positive)
    .option('--schedule <kind>', 'minibatch | serial | anneal (default anneal: minibatch, then serial)')
    .option('--threads <n>', 'worker threads', positiveInt)
    .option('--checkpoint-every <s>', 'seconds between checkpoints (default 30)', positive)
    .option('--json', 'print the summary as JSON');
  const o = parseArgs(cmd, argv) as
    | {
        model: string;
        corpus: string;
        scroll: string;
        minutes?: number;
        steps?: number;
        replay?: number;
        lr?: number;
        schedule?: string;
        threads?: number;
        checkpointEvery?: number;
        json?: boolean;
      }
    | undefined;
  if (!o) return;
  if (o.minutes !== undefined && o.steps !== undefined) throw new UserError('give --minutes or --steps, not both');
  if (o.replay !== undefined && !(o.replay < 1)) throw new UserError('--replay must be below 1');
  if (o.schedule && !['minibatch', 'serial', 'anneal'].includes(o.schedule))
    throw new UserError(`--schedule ${o.schedule}: use minibatch, serial or anneal`);
  // finetuneModel checks the scroll and the model before any training starts.
  const opts: TrainOptions = {
    corpusDir: o.corpus,
    modelDir: o.model,
    minutes: o.minutes,
    steps: o.steps,
    replayFraction: o.replay,
    lr: o.lr,
    schedule: o.schedule as ScheduleKind | undefined,
    threads: o.threads,
    checkpointEverySeconds: o.checkpointEvery,
  };
  await runTraining(`finetune ${o.scroll}`, opts, Boolean(o.json), (t) => finetuneModel({ ...t, scroll: o.scroll }));
}
