/**
 * One-shot finetuning on a new scroll: a new model version trained on the scroll's records with replay of the
 * records the model already knows (so it does not forget them), its own learning rates, and the seed's schedule
 * (minibatch annealed into serial). The previous version is never touched; an interrupted finetune resumes.
 *
 *   const r = await finetuneModel({ corpusDir, modelDir, scroll: 'sample-s2', minutes: 3 });
 *   r.version;  // N+1; vN is kept
 */
import { UserError } from '../core/errors.js';
import { latestVersion, readCheckpointHeader, versionPath } from './checkpoint.js';
import { openCorpus, trainableRecords, trainModel, type TrainOptions, type TrainResult } from './trainer.js';

export interface FinetuneOptions extends Omit<
  TrainOptions,
  'records' | 'replayRecords' | 'newVersion' | 'kind' | 'config'
> {
  scroll: string;
}

/** Finetuning defaults: replay half of each batch from earlier records, a faster input layer (new geometry). */
export const FINETUNE_DEFAULTS = {
  replayFraction: 0.3,
  groupLr: { input: 2, trunk: 1, output: 1, grid: 5 },
  schedule: 'anneal' as const,
};

export async function finetuneModel(opts: FinetuneOptions): Promise<TrainResult> {
  const latest = latestVersion(opts.modelDir);
  if (latest === 0)
    throw new UserError(`${opts.modelDir}: no trained model to finetune; train one first with \`aunn train\``);
  const corpus = await openCorpus(opts);
  const mine = trainableRecords(corpus).filter((r) => r.scroll === opts.scroll);
  if (mine.length === 0) {
    const scrolls = [...new Set(trainableRecords(corpus).map((r) => r.scroll))].join(', ');
    throw new UserError(
      `${corpus.dir ?? 'corpus'}: no trainable records of scroll '${opts.scroll}' (ingest it first with \`aunn ingest\`; scrolls here: ${scrolls || 'none'})`,
    );
  }
  const file = versionPath(opts.modelDir, latest);
  const { header } = readCheckpointHeader(file);
  const names = mine.map((r) => r.name);
  const sameRun = header.run.kind === 'finetune' && names.every((n) => header.run.records.includes(n));
  if (sameRun && !header.run.done) {
    // An interrupted finetune of this scroll: resume it (same version, same targets).
    return trainModel({ ...opts, corpus, kind: 'finetune' });
  }
  const known = new Set(header.trainedRecords.map((r) => r.name));
  if (names.every((n) => known.has(n)))
    throw new UserError(
      `${file}: this model version already trained on scroll '${opts.scroll}' (${names.length} records); use \`aunn train\` to train it more`,
    );
  const replay = header.trainedRecords
    .map((r) => r.name)
    .filter((n) => !names.includes(n) && corpus.manifest.records.some((r) => r.name === n));
  return trainModel({
    ...opts,
    corpus,
    records: names,
    replayRecords: replay,
    replayFraction: opts.replayFraction ?? (replay.length ? FINETUNE_DEFAULTS.replayFraction : 0),
    schedule: opts.schedule ?? FINETUNE_DEFAULTS.schedule,
    groupLr: { ...FINETUNE_DEFAULTS.groupLr, ...opts.groupLr },
    newVersion: true,
    kind: 'finetune',
  });
}
