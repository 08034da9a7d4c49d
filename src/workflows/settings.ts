/**
 * What the demo runs with (training budgets, default vs `--quick`) and what it remembers between runs: a state file
 * in the work folder with a fingerprint of the settings and the results of the expensive steps. A second run with the
 * same fingerprint reuses the corpus and the models (and reports the stored numbers); another fingerprint, or
 * `--fresh`, rebuilds them. The samples are reused whenever they match (ensureSample).
 *
 *   const settings = demoSettings(quick);
 *   const state = await loadState(file, fingerprintOf(settings));   // {} when absent or made with other settings
 *   state.steps.train = { seconds: 241, data: {...} }; await saveState(file, state);
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_BEAM } from '../lm-conditioning/reading/decode.js';
import type { SampleSize } from '../../sample-data/index.js';
import { DEFAULT_CONFIG } from '../model/index.js';

export interface DemoSettings {
  /** Sample scrolls: seed 1 is the labelled scroll, seed 2 the new one. */
  seeds: [number, number];
  sampleSize: SampleSize;
  /** AUNN training on scroll 1. */
  trainMinutes: number;
  /** Ink readout training limits. */
  readoutSeconds: number;
  readoutSteps: number;
  /** Networks in the readout ensemble (each readoutSteps; the seconds are shared). */
  readoutEnsemble: number;
  /** Finetuning budget in seconds of scroll-1 training speed (turned into a step count, so scratch gets equal steps). */
  finetuneSeconds: number;
  /** Fewest finetune/scratch steps (when scroll-1 training was slow). */
  minTransferSteps: number;
  /** Held-out evaluations along the finetune and scratch runs (points of the transfer curve). */
  curvePoints: number;
  /** Also read ink off the AUNN's reconstruction of the layers (costs a prediction of every layer voxel in the band). */
  inkFromModel: boolean;
  /** Beam width of the line decoder (decode.ts DEFAULT_BEAM in the full demo). */
  beam: number;
}

export const DEMO_FORMAT = 1;

export function demoSettings(quick: boolean): DemoSettings {
  return quick
    ? {
        seeds: [1, 2],
        sampleSize: 'small',
        trainMinutes: 0.25,
        readoutSeconds: 30,
        readoutSteps: 40,
        readoutEnsemble: 1,
        finetuneSeconds: 12,
        minTransferSteps: 8,
        curvePoints: 4,
        inkFromModel: false,
        beam: 50,
      }
    : {
        seeds: [1, 2],
        sampleSize: 'small',
        trainMinutes: 4,
        readoutSeconds: 180,
        readoutSteps: 150,
        readoutEnsemble: 3,
        finetuneSeconds: 150,
        minTransferSteps: 40,
        curvePoints: 8,
        inkFromModel: true,
        beam: DEFAULT_BEAM,
      };
}

/** What decides the corpus and the models: the demo's settings and the AUNN's default configuration (a new default
 *  encoding or network shape retrains). */
export function fingerprintOf(settings: DemoSettings): string {
  return JSON.stringify({ format: DEMO_FORMAT, ...settings, model: DEFAULT_CONFIG });
}

export interface StoredStep<T = unknown> {
  seconds: number;
  data: T;
}

export interface DemoState {
  fingerprint: string;
  steps: Record<string, StoredStep>;
}

/** The stored state, or a fresh one when the file is missing, unreadable or made with other settings. */
export async function loadState(file: string, fingerprint: string): Promise<{ state: DemoState; matched: boolean }> {
  try {
    const j = JSON.parse(await readFile(file, 'utf8')) as DemoState;
    if (j.fingerprint === fingerprint && j.steps && typeof j.steps === 'object') return { state: j, matched: true };
  } catch {
    // none yet, or unreadable: start over
  }
  return { state: { fingerprint, steps: {} }, matched: false };
}

export async function saveState(file: string, state: DemoState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(state, null, 1));
  await rename(tmp, file);
}
