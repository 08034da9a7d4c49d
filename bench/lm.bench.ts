/**
 * The Greek language models on SBLGNT (train books → held-out books): Kneser–Ney build time, bits/char and query
 * speed; the word model's bits/char; the neural LM's bits/char after a fixed training time; restoration
 * (Pythia/Ithaca protocol: one hidden span of 1–10 letters, context both sides, beam 20) CER, top-1, top-20 and
 * time per gap for each search: forward only, the classic both-way beams of 20, the wide search, wide + word model.
 *
 *   npm run bench -- --only lm [--quick]
 */
import type { Emit, BenchOptions } from '../src/cli/commands/bench.js';
import { bitsPerChar, toLetterIds } from '../src/lm-conditioning/char-lm.js';
import { loadSblgnt, trainingWords } from '../src/lm-conditioning/greek-text.js';
import { KneserNeyLM } from '../src/lm-conditioning/kneser-ney.js';
import { DEFAULT_WORD_OPTIONS, DEFAULT_WORD_WEIGHT } from '../src/lm-conditioning/models.js';
import type { RestorationModels, RestoreOptions } from '../src/lm-conditioning/restore.js';
import { evalRestoration } from '../src/lm-conditioning/restore-eval.js';
import { WordLM } from '../src/lm-conditioning/word-lm.js';

export const name = 'lm';
export const description =
  'Greek LMs: KN, word and neural bits/char; restoration CER/top-1/top-20 (beam 20) per search; build time';

export async function run(emit: Emit, { quick }: BenchOptions): Promise<void> {
  const corpus = await loadSblgnt();
  const { train, heldOut } = corpus;
  const tr = toLetterIds(train);
  const ho = toLetterIds(heldOut);
  emit('train letters', tr.length);
  emit('held-out letters', ho.length);
  let t0 = performance.now();
  const kn = KneserNeyLM.build(tr, { order: 10 });
  emit('kn-10 build time', (performance.now() - t0) / 1000, 's');
  t0 = performance.now();
  const n = quick ? 5000 : ho.length;
  emit('kn-10 held-out bits/char', bitsPerChar(kn, ho, n), `bits (${n} letters)`);
  emit('kn-10 query time', ((performance.now() - t0) / n) * 1000, 'µs/letter');
  t0 = performance.now();
  const back = kn.reversed();
  emit('kn-10 backward build time', (performance.now() - t0) / 1000, 's');
  t0 = performance.now();
  const words = WordLM.build(trainingWords(corpus), DEFAULT_WORD_OPTIONS);
  emit('word model build time', (performance.now() - t0) / 1000, `s (${words.lexiconSize} words in the lexicon)`);
  emit(
    'word model held-out bits/char',
    words.bitsPerChar(heldOut.slice(0, n)),
    `bits (${n} letters, words and word pairs, sum over cuttings)`,
  );
  const samples = quick ? 40 : 500;
  const letters: RestorationModels = { forward: kn, backward: back };
  const methods: [string, RestorationModels, RestoreOptions][] = [
    ['fwd', { forward: kn }, { search: 'classic' }],
    ['classic fwd+bwd', letters, { search: 'classic' }],
    ['wide', letters, {}],
    ['wide+words', { ...letters, experts: [{ scorer: words.windowScorer(), weight: DEFAULT_WORD_WEIGHT }] }, {}],
    [
      'wide+words per-letter',
      { ...letters, experts: [{ scorer: words.windowScorer(), weight: DEFAULT_WORD_WEIGHT }] },
      { pick: 'letters' },
    ],
  ];
  for (const [label, models, restore] of methods) {
    const r = evalRestoration(models, ho, { samples, beam: 20, restore });
    emit(`restore ${label} CER`, 100 * r.cer, `% (${samples} gaps)`);
    emit(`restore ${label} top-1`, 100 * r.top1, '%');
    emit(`restore ${label} top-20`, 100 * r.top20, '%');
    emit(`restore ${label} time`, (1000 * r.seconds) / samples, 'ms/gap');
  }
  const { NeuralCharLM } = await import('../src/lm-conditioning/neural-lm.js');
  const nlm = await NeuralCharLM.create({ context: 12, hidden: 512 });
  const seconds = quick ? 5 : 300;
  const r = await nlm.train(tr, { seconds, epochs: 100 });
  emit('neural train samples/s', r.samples / r.seconds, 'samples/s (wasm, 1 thread)');
  emit(`neural held-out bits/char after ${seconds} s`, nlm.bitsPerChar(ho, quick ? 5000 : ho.length), 'bits');
  nlm.dispose();
}
