/**
 * `aunn condition --model DIR [--corpus DIR] (--pairs FILE | --record R --region z0:z1,y0:y1,x0:x1)
 *  [--rule backprop|delta] [--steps K]`: updates the model on new address+byte pairs (dynamic evaluation) and saves
 * the conditioned weights as a new model version. Pairs file: `ADDRESS BYTE` per line (decimal or 0x hex) or JSON.
 *
 *   aunn condition --model ./model --corpus ./corpus --record sample-s1/scanA --region 40:41,0:64,0:64 --steps 20
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { UserError } from '../../core/errors.js';
import { addressAt } from '../../model/index.js';
import { updateOnPairs, parsePairs, type UpdateRule } from '../../model/index.js';
import type { CorpusLike } from '../../model/index.js';
import { parseRegion } from './predict.js';
import { parseArgs, positive, positiveInt } from './train.js';

export async function run(argv: string[]): Promise<void> {
  const cmd = new Command('aunn condition')
    .description('condition a model on new address+byte pairs; saves a new model version')
    .requiredOption('--model <dir>', 'model folder')
    .option('--corpus <dir>', 'corpus (for the index layout, replay, and --record)')
    .option('--pairs <file>', "pairs: 'ADDRESS BYTE' per line, or JSON [[address, byte], …]")
    .option('--record <name>', 'take the observed bytes of this record …')
    .option('--region <z0:z1,y0:y1,x0:x1>', '… in this box')
    .option('--rule <rule>', 'backprop (k steps with replay) | delta (output layer only)', 'backprop')
    .option('--steps <k>', 'update steps', positiveInt, 20)
    .option('--lr <x>', 'learning rate', positive)
    .option('--freeze-grid', 'backprop: leave the hash-grid tables as trained (default: they learn too)')
    .option('--json', 'print the summary as JSON');
  const o = parseArgs(cmd, argv) as
    | {
        model: string;
        corpus?: string;
        pairs?: string;
        record?: string;
        region?: string;
        rule: string;
        steps: number;
        lr?: number;
        freezeGrid?: boolean;
        json?: boolean;
      }
    | undefined;
  if (!o) return;
  if (o.rule !== 'backprop' && o.rule !== 'delta') throw new UserError(`--rule ${o.rule}: use backprop or delta`);
  if (Boolean(o.pairs) === Boolean(o.record)) throw new UserError('give either --pairs FILE or --record R --region …');
  let corpus: CorpusLike | undefined;
  let addresses: Float64Array;
  let bytes: Uint8Array;
  if (o.corpus) {
    const { Corpus } = await import('../../corpus/index.js');
    corpus = await Corpus.open(o.corpus);
  }
  if (o.pairs) {
    let text: string;
    try {
      text = readFileSync(o.pairs, 'utf8');
    } catch (e) {
      throw new UserError(`${o.pairs}: cannot read (${(e as Error).message})`);
    }
    ({ addresses, bytes } = parsePairs(text, o.pairs));
  } else {
    if (!corpus || !o.region) throw new UserError('--record needs --corpus and --region');
    const c = corpus as CorpusLike & {
      record(n: string): import('../../corpus/index.js').RecordMeta;
      readRegion(r: import('../../corpus/index.js').RecordMeta, g: ReturnType<typeof parseRegion>): Promise<Uint8Array>;
    };
    const rec = c.record(o.record!);
    const region = parseRegion(o.region);
    bytes = await c.readRegion(rec, region);
    addresses = new Float64Array(bytes.length);
    let i = 0;
    for (let z = region.z[0]; z < region.z[1]; z++)
      for (let y = region.y[0]; y < region.y[1]; y++)
        for (let x = region.x[0]; x < region.x[1]; x++) addresses[i++] = addressAt(rec, z, y, x);
  }
  const r = await updateOnPairs({
    modelDir: o.model,
    addresses,
    bytes,
    rule: o.rule as UpdateRule,
    steps: o.steps,
    lr: o.lr,
    trainGrid: !o.freezeGrid,
    corpus,
  });
  const summary = {
    version: r.version,
    file: r.file,
    rule: r.rule,
    steps: r.steps,
    pairs: bytes.length,
    psnrBefore: +r.before.psnr.toFixed(2),
    psnrAfter: +r.after.psnr.toFixed(2),
  };
  if (o.json) console.log(JSON.stringify(summary));
  else
    console.log(
      `conditioned on ${bytes.length} pairs (${r.rule}, ${r.steps} steps): PSNR on them ${summary.psnrBefore} → ${summary.psnrAfter} dB; saved ${r.file}`,
    );
}
