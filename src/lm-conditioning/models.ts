/**
 * Where the Greek LMs live and how the commands get them: a Kneser–Ney model file given by the user, or the
 * default one built from the SBLGNT training books at first use and cached (AUNN_LM_DIR, else
 * ~/.cache/scroll-aunn/lm). The backward model for restoration is rebuilt from the same letters (about a second).
 *
 *   const lm = await loadKneserNey();                 // default: SBLGNT, order 10, cached
 *   const models = await loadRestorationModels(file); // { forward, backward }
 */
import { mkdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { toLetterIds } from './char-lm.js';
import { loadSblgnt } from './greek-text.js';
import { KneserNeyLM } from './kneser-ney.js';
import type { RestorationModels } from './restore.js';

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

export async function loadRestorationModels(file?: string, signal?: AbortSignal): Promise<RestorationModels & { forward: KneserNeyLM; backward: KneserNeyLM }> {
  const forward = await loadKneserNey(file, signal);
  return { forward, backward: forward.reversed(signal) };
}
