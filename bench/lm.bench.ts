/**
 * The Greek language models on SBLGNT (train books → held-out books): Kneser–Ney build time, bits/char and query
 * speed; the neural LM's bits/char after a fixed training time; restoration (Pythia/Ithaca protocol: one hidden span
 * of 1–10 letters, context both sides, beam 20) CER, top-1, top-20, forward-only and forward+backward.
 *
 *   npm run bench -- --only lm [--quick]
 */
import type { Emit, BenchOptions } from '../src/cli/commands/bench.js';
import { bitsPerChar, toLetterIds } from '../src/lm-conditioning/char-lm.js';
import { loadSblgnt } from '../src/lm-conditioning/greek-text.js';
import { KneserNeyLM } from '../src/lm-conditioning/kneser-ney.js';
import { evalRestoration } from '../src/lm-conditioning/restore-eval.js';

export const name = 'lm';
export const description = 'Greek char LMs: KN and neural bits/char, restoration CER/top-1/top-20 (beam 20), build time';

export async function run(emit: Emit, { quick }: BenchOptions): Promise<void> {
  const { train, heldOut } = await loadSblgnt();
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
  const samples = quick ? 40 : 500;
  const fwd = evalRestoration(kn, ho, { samples, beam: 20 });
  emit('restore fwd CER', 100 * fwd.cer, `% (${samples} gaps)`);
  emit('restore fwd top-1', 100 * fwd.top1, '%');
  emit('restore fwd top-20', 100 * fwd.top20, '%');
  const both = evalRestoration({ forward: kn, backward: back }, ho, { samples, beam: 20 });
  emit('restore fwd+bwd CER', 100 * both.cer, `% (${samples} gaps)`);
  emit('restore fwd+bwd top-1', 100 * both.top1, '%');
  emit('restore fwd+bwd top-20', 100 * both.top20, '%');
  emit('restore fwd+bwd time', (1000 * both.seconds) / samples, 'ms/gap');
  const { NeuralCharLM } = await import('../src/lm-conditioning/neural-lm.js');
  const nlm = await NeuralCharLM.create({ context: 12, hidden: 512 });
  const seconds = quick ? 5 : 300;
  const r = await nlm.train(tr, { seconds, epochs: 100 });
  emit('neural train samples/s', r.samples / r.seconds, 'samples/s (wasm, 1 thread)');
  emit(`neural held-out bits/char after ${seconds} s`, nlm.bitsPerChar(ho, quick ? 5000 : ho.length), 'bits');
  nlm.dispose();
}
