/**
 * `aunn lm train|eval|restore`: the Greek character language model.
 *
 *   aunn lm train [--corpus DIR] [--out FILE] [--order 10] [--neural-seconds 300 --neural-out FILE]
 *   aunn lm eval [--model FILE] [--neural FILE] [--samples 500] [--beam 20] [--dev]
 *   aunn lm restore "ΕΝΑΡΧΗΗΝΟ[...]ΟΣ" [--model FILE] [--top 10] [--words off] [--search classic] [--pick max|mbr|letters]
 *
 * Default corpus: the SBL Greek New Testament (npm `sblgnt`, CC BY 4.0), training books only; the held-out books
 * are the evaluation text. Default model: built at first use and cached (see src/lm-conditioning/models.ts).
 */
import { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { UserError } from '../../core/errors.js';
import { bitsPerChar, toLetterIds } from '../../lm-conditioning/char-lm.js';
import { devSplit, loadSblgnt } from '../../lm-conditioning/greek-text.js';
import { KneserNeyLM } from '../../lm-conditioning/kneser-ney.js';
import {
  defaultKneserNeyPath,
  defaultNeuralPath,
  DEFAULT_KN_ORDER,
  DEFAULT_WORD_OPTIONS,
  DEFAULT_WORD_WEIGHT,
  loadRestorationModels,
} from '../../lm-conditioning/models.js';
import {
  parseGappedText,
  restore,
  type RestorationModels,
  type RestoreOptions,
} from '../../lm-conditioning/restore.js';
import { evalRestoration } from '../../lm-conditioning/restore-eval.js';
import { WordLM } from '../../lm-conditioning/word-lm.js';
import { readTrainingFolder } from '../../lm-conditioning/training-text.js';

const USAGE = 'usage: aunn lm train|eval|restore [options]   (aunn lm <sub> --help)';

function int(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new UserError(`--${name} must be an integer ${min}..${max}, got '${v}'`);
    return n;
  };
}

async function train(argv: string[]): Promise<void> {
  const o = new Command('aunn lm train')
    .option('--corpus <dir>', 'folder of UTF-8 .txt and TEI .xml files (default: SBLGNT training books)')
    .option('--out <file>', 'Kneser–Ney model file', defaultKneserNeyPath())
    .option('--order <n>', 'n-gram order (2..11)', int('order', 2, 11), DEFAULT_KN_ORDER)
    .option(
      '--neural-seconds <s>',
      'also train the neural LM for this many seconds (0 = skip)',
      int('neural-seconds', 0, 86400),
      0,
    )
    .option('--neural-out <file>', 'neural model file', defaultNeuralPath())
    .parse(argv, { from: 'user' })
    .opts<{ corpus?: string; out: string; order: number; neuralSeconds: number; neuralOut: string }>();
  const sblgnt = await loadSblgnt();
  let letters = sblgnt.train;
  if (o.corpus) {
    const t = await readTrainingFolder(o.corpus);
    letters = t.letters;
    console.log(`corpus: ${t.files.length} files, ${letters.length} letters`);
  } else console.log(`corpus: SBLGNT training books (CC BY 4.0, SBL Greek New Testament), ${letters.length} letters`);
  const ids = toLetterIds(letters);
  const t0 = performance.now();
  const lm = KneserNeyLM.build(ids, { order: o.order });
  console.log(
    `Kneser–Ney order ${o.order}: built in ${((performance.now() - t0) / 1000).toFixed(2)} s, n-grams per order ${lm.sizes().join(' ')}`,
  );
  const heldOut = toLetterIds(sblgnt.heldOut);
  console.log(`held-out bits/char (SBLGNT held-out books): ${bitsPerChar(lm, heldOut).toFixed(3)}`);
  const { mkdir } = await import('node:fs/promises');
  const path = await import('node:path');
  await mkdir(path.dirname(path.resolve(o.out)), { recursive: true });
  await lm.save(o.out);
  console.log(`wrote ${o.out}`);
  if (o.neuralSeconds > 0) {
    const { NeuralCharLM } = await import('../../lm-conditioning/neural-lm.js');
    const nlm = await NeuralCharLM.create();
    const r = await nlm.train(ids, {
      seconds: o.neuralSeconds,
      epochs: 100,
      onProgress: (i) => {
        if (i.step % 500 === 0)
          console.log(`  neural step ${i.step} loss ${(i.loss / Math.LN2).toFixed(3)} bits ${i.seconds.toFixed(0)} s`);
      },
    });
    console.log(
      `neural ${nlm.name}: ${r.steps} steps, ${(r.samples / r.seconds).toFixed(0)} samples/s, held-out bits/char ${nlm.bitsPerChar(heldOut).toFixed(3)}`,
    );
    await mkdir(path.dirname(path.resolve(o.neuralOut)), { recursive: true });
    await nlm.save(o.neuralOut);
    console.log(`wrote ${o.neuralOut}`);
  }
}

async function evaluate(argv: string[]): Promise<void> {
  const o = new Command('aunn lm eval')
    .option('--model <file>', 'Kneser–Ney model file (default: SBLGNT, cached)')
    .option('--neural <file>', 'also report a neural model file (default: the cached one, if trained)')
    .option('--samples <n>', 'restoration samples', int('samples', 1, 100000), 500)
    .option('--beam <n>', 'beam width', int('beam', 1, 10000), 20)
    .option(
      '--dev',
      'score on the dev books with models built without them (for choosing settings), not on the held-out books',
    )
    .parse(argv, { from: 'user' })
    .opts<{ model?: string; neural?: string; samples: number; beam: number; dev?: boolean }>();
  const corpus = await loadSblgnt();
  let ids: Uint8Array;
  let models: RestorationModels & { forward: KneserNeyLM };
  if (o.dev) {
    if (o.model)
      throw new UserError(
        '--dev builds its own models from the training books without the dev books: leave out --model',
      );
    const split = devSplit(corpus);
    ids = toLetterIds(split.dev);
    const forward = KneserNeyLM.build(toLetterIds(split.train), { order: DEFAULT_KN_ORDER });
    models = {
      forward,
      backward: forward.reversed(),
      experts: [
        { scorer: WordLM.build(split.trainWords, DEFAULT_WORD_OPTIONS).windowScorer(), weight: DEFAULT_WORD_WEIGHT },
      ],
    };
    console.log(`dev text: SBLGNT dev books, ${ids.length} letters (models built without them)`);
  } else {
    ids = toLetterIds(corpus.heldOut);
    models = await loadRestorationModels(o.model);
    console.log(`held-out text: SBLGNT held-out books, ${ids.length} letters`);
  }
  console.log(`${models.forward.name}: bits/char ${bitsPerChar(models.forward, ids).toFixed(3)}`);
  const neuralFile = o.neural ?? defaultNeuralPath();
  if (!o.dev && (o.neural || (await stat(neuralFile).catch(() => undefined)))) {
    const { NeuralCharLM } = await import('../../lm-conditioning/neural-lm.js');
    const nlm = await NeuralCharLM.load(neuralFile);
    console.log(`${nlm.name}: bits/char ${nlm.bitsPerChar(ids).toFixed(3)}`);
  }
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const letterModels = { forward: models.forward, backward: models.backward };
  const methods: [string, RestorationModels, RestoreOptions][] = [
    ['classic: forward + backward beams of 20, product of both models', letterModels, { search: 'classic' }],
    ['wide: beams of 128 both ways, meet in the middle, exact window scores', letterModels, {}],
    ['wide + word model (words and word pairs: expert and proposer)', models, {}],
    ['the same, least expected edit distance first (MBR)', models, { pick: 'mbr' }],
    ['the same, likeliest letter at each position first', models, { pick: 'letters' }],
  ];
  console.log(`restoration (${o.samples} gaps of 1-10 letters, 20 letters context each side, ${o.beam} candidates):`);
  console.log('method\tCER\ttop-1\ttop-20\tms/gap');
  for (const [label, m, ro] of methods) {
    const r = evalRestoration(m, ids, { samples: o.samples, beam: o.beam, restore: ro });
    console.log(
      `${label}\t${pct(r.cer)}\t${pct(r.top1)}\t${pct(r.top20)}\t${((1000 * r.seconds) / r.samples).toFixed(0)}`,
    );
  }
}

async function restoreCmd(argv: string[]): Promise<void> {
  const cmd = new Command('aunn lm restore')
    .argument('<text>', 'Greek text with gaps: [...] (one dot per lost letter) or [.N]')
    .option('--model <file>', 'Kneser–Ney model file (default: SBLGNT, cached)')
    .option('--top <n>', 'candidates to print', int('top', 1, 1000), 10)
    .option('--beam <n>', 'candidates kept (at least --top)', int('beam', 1, 10000), 20)
    .option('--words <on|off>', 'use the word model (SBLGNT lexicon) besides the letter models', 'on')
    .option('--search <wide|classic>', 'search: wide (default) or the earlier beam of 20', 'wide')
    .option(
      '--pick <max|mbr|letters>',
      'first line: the likeliest candidate (max), the least expected edit distance (mbr), the likeliest letter per position (letters)',
      'max',
    )
    .parse(argv, { from: 'user' });
  const o = cmd.opts<{ model?: string; top: number; beam: number; words: string; search: string; pick: string }>();
  if (o.pick !== 'max' && o.pick !== 'mbr' && o.pick !== 'letters')
    throw new UserError(`--pick must be max, mbr or letters, got '${o.pick}'`);
  if (o.words !== 'on' && o.words !== 'off') throw new UserError(`--words must be on or off, got '${o.words}'`);
  if (o.search !== 'wide' && o.search !== 'classic')
    throw new UserError(`--search must be wide or classic, got '${o.search}'`);
  const text = parseGappedText(cmd.args[0]!);
  const models = await loadRestorationModels(o.model, undefined, { words: o.words === 'on' });
  const cands = restore(models, text, { beam: Math.max(o.beam, o.top), search: o.search, pick: o.pick });
  for (const c of cands.slice(0, o.top)) console.log(`${c.text}\t${c.p.toFixed(4)}`);
}

export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === 'train') return train(rest);
  if (sub === 'eval') return evaluate(rest);
  if (sub === 'restore') return restoreCmd(rest);
  if (!sub || sub === '--help' || sub === '-h') {
    console.log(USAGE);
    return;
  }
  throw new UserError(`unknown subcommand '${sub}'. ${USAGE}`);
}
