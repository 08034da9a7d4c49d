/**
 * `aunn predict --corpus DIR --model DIR --record R [--region z0:z1,y0:y1,x0:x1] [--level L]`: writes the model's
 * predicted values (expected byte) and uncertainty (entropy scaled to 0..255) of a record into the corpus as
 * prediction arrays. The region may reach past the record's shape into its padding (never observed addresses).
 * `--unseen N` prints the predictions for the N addresses after the last record instead.
 *
 *   aunn predict --corpus ./corpus --model ./model --record sample-s1/scanA --level 1
 */
import { Command } from 'commander';
import { UserError } from '../../core/errors.js';
import { terminalProgress } from '../progress.js';
import { Corpus } from '../../corpus/index.js';
import { loadModel, regionShape, type Region } from '../../model/index.js';
import { predictUnseen, writePredictions } from '../../model/index.js';
import { parseArgs, positiveInt } from './train.js';

export function parseRegion(text: string): Region {
  const parts = text.split(',').map((p) => p.trim());
  const bad = () => new UserError(`--region '${text}': expected z0:z1,y0:y1,x0:x1 (integers, z0 < z1 …)`);
  if (parts.length !== 3) throw bad();
  const axes = parts.map((p) => {
    const m = /^(\d+):(\d+)$/.exec(p);
    if (!m || Number(m[1]) >= Number(m[2])) throw bad();
    return [Number(m[1]), Number(m[2])] as [number, number];
  });
  return { z: axes[0], y: axes[1], x: axes[2] };
}

export async function run(argv: string[]): Promise<void> {
  const cmd = new Command('aunn predict')
    .description("write a model's predicted values and uncertainty of a record into the corpus")
    .requiredOption('--corpus <dir>', 'corpus folder')
    .requiredOption('--model <dir>', 'model folder')
    .option('--record <name>', 'record name or id')
    .option('--region <z0:z1,y0:y1,x0:x1>', 'a box (at --level), may extend into the padding past the shape')
    .option('--level <n>', 'pyramid level (2^L coarser)', (v) => (/^\d+$/.test(v) ? Number(v) : NaN), 0)
    .option('--version <n>', 'model version (default: latest)', positiveInt)
    .option('--unseen <n>', 'print predictions for the N addresses after the last record', positiveInt)
    .option('--json', 'print the summary as JSON');
  const o = parseArgs(cmd, argv) as
    | {
        corpus: string;
        model: string;
        record?: string;
        region?: string;
        level: number;
        version?: number;
        unseen?: number;
        json?: boolean;
      }
    | undefined;
  if (!o) return;
  if (!Number.isInteger(o.level) || o.level < 0) throw new UserError('--level must be a non-negative integer');
  const corpus = await Corpus.open(o.corpus);
  const model = await loadModel(o.model, { version: o.version });
  if (o.unseen) {
    const p = await predictUnseen(model, corpus.manifest, o.unseen);
    const rows = Array.from(p.addresses, (a, i) => ({
      address: a,
      mean: +p.mean[i].toFixed(2),
      argmax: p.argmax[i],
      entropy: +p.entropy[i].toFixed(3),
    }));
    if (o.json) console.log(JSON.stringify(rows));
    else
      for (const r of rows)
        console.log(`0x${r.address.toString(16)}  mean ${r.mean}  argmax ${r.argmax}  entropy ${r.entropy}`);
    return;
  }
  if (!o.record) throw new UserError('say which record: --record NAME (or --unseen N)');
  const rec = corpus.record(/^\d+$/.test(o.record) ? Number(o.record) : o.record);
  if (rec.modality === 'prediction')
    throw new UserError(`${rec.name} is itself a prediction; predict the record it was made from`);
  const region = o.region ? parseRegion(o.region) : undefined;
  const total = regionShape(rec, region, o.level).reduce((a, b) => a * b, 1);
  const out = await writePredictions(corpus, model, rec, {
    region,
    level: o.level,
    label: `predict ${rec.name} (${total} voxels)`,
    onProgress: terminalProgress({ quiet: o.json }),
  });
  const summary = {
    record: rec.name,
    model: model.label,
    backend: model.backend,
    shape: out.shape,
    value: out.value.name,
    uncertainty: out.uncertainty.name,
    voxelsPerS: Math.round(out.voxelsPerS),
  };
  if (o.json) console.log(JSON.stringify(summary));
  else
    console.log(
      `predicted ${rec.name} ${out.shape.join('×')} with ${model.label} on ${model.backend} (${summary.voxelsPerS} voxels/s) → ${out.value.name}, ${out.uncertainty.name}`,
    );
  model.dispose();
}
