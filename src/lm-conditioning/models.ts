/**
 * Where the Greek LMs live and how the commands get them: a Kneser–Ney model file given by the user, or the
 * default one built from the SBLGNT training books at first use and cached (AUNN_LM_DIR, else
 * ~/.cache/scroll-aunn/lm). The backward model for restoration is rebuilt from the same letters (about a second);
 * the word model from the SBLGNT training books' words (a fraction of a second, not cached).
 *
 *   const lm = await loadKneserNey();                 // default: SBLGNT, order 10, cached
 *   const models = await loadRestorationModels(file); // { forward, backward, experts: [word model] }
 */
import { mkdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { toLetterIds } from './char-lm.js';
import { loadSblgnt, trainingWords } from './greek-text.js';
import { KneserNeyLM } from './kneser-ney.js';
import type { RestorationModels } from './restore.js';
import { WordLM } from './word-lm.js';

export const DEFAULT_KN_ORDER = 10;

export function lmCacheDir(): string {
  return process.env.AUNN_LM_DIR ?? path.join(os.homedir(), '.cache', 'scroll-aunn', 'lm');
}

/** The default model file (SBLGNT training books, order 10). */
export function defaultKneserNeyPath(): string {
  // v2: trained without the sample books (SAMPLE_BOOKS); the name changes so older caches are not reused.
  return path.join(lmCacheDir(), `kn${DEFAULT_KN_ORDER}-sblgnt-v2.lm`);
}

/** The default neural model file, written by `aunn lm train --neural`. */
export function defaultNeuralPath(): string {
  return path.join(lmCacheDir(), 'neural-sblgnt.json');
}

export async function buildDefaultKneserNey(signal?: AbortSignal): Promise<KneserNeyLM> {
  const { train } = await loadSblgnt();
  return KneserNeyLM.build(toLetterIds(train), { order: DEFAULT_KN_ORDER, signal });
}

/** Loads `file`, or the cached default (building and caching it when missing; a read-only cache is not an error). */
export async function loadKneserNey(file?: string, signal?: AbortSignal): Promise<KneserNeyLM> {
  if (file) return KneserNeyLM.load(file, signal);
  const cached = defaultKneserNeyPath();
  if (await stat(cached).catch(() => undefined)) return KneserNeyLM.load(cached, signal);
  const lm = await buildDefaultKneserNey(signal);
  try {
    await mkdir(path.dirname(cached), { recursive: true });
    await lm.save(cached);
  } catch {
    // No writable cache: the model is rebuilt next time (about a second).
  }
  return lm;
}

/** Weight of the word model's log-probability in a restoration's window score (chosen on the dev books). */
export const DEFAULT_WORD_WEIGHT = 1;

/**
 * The word model's settings, chosen on the dev books: with word pairs 2.46 bits/char vs 2.62 words alone; restoration
 * CER 57.3% vs 58.8% (150 gaps); unknown-word share 0.05 (2.611 bits/char vs 2.628 at 0.02, 2.614 at 0.2).
 */
export const DEFAULT_WORD_OPTIONS = { bigram: true, unknownWeight: 0.05 } as const;

/** The word model of the SBLGNT training books (lexicon, word and word-pair counts). */
export async function buildDefaultWordLM(): Promise<WordLM> {
  return WordLM.build(trainingWords(await loadSblgnt()), DEFAULT_WORD_OPTIONS);
}

/**
 * The restoration models: forward and backward Kneser–Ney (from `file` or the default), plus the SBLGNT word model
 * as an expert unless `words` is false.
 */
export async function loadRestorationModels(
  file?: string,
  signal?: AbortSignal,
  opts: { words?: boolean; wordWeight?: number } = {},
): Promise<RestorationModels & { forward: KneserNeyLM; backward: KneserNeyLM }> {
  const forward = await loadKneserNey(file, signal);
  const backward = forward.reversed(signal);
  if (opts.words === false) return { forward, backward };
  const words = await buildDefaultWordLM();
  return {
    forward,
    backward,
    experts: [{ scorer: words.windowScorer(), weight: opts.wordWeight ?? DEFAULT_WORD_WEIGHT }],
  };
}
