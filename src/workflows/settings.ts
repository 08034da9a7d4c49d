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
  /** AUNN training steps on scroll 1. Budgets are in steps, so the numbers do not depend on the machine's load. */
  trainSteps: number;
  /** Ink readout training steps per network (its time limit is a safety net far above what they take). */
  readoutSteps: number;
  /** Networks in the readout ensemble (each readoutSteps; the seconds are shared). */
  readoutEnsemble: number;
  /** Finetune steps on scroll 2, and the same for the from-scratch run it is compared with. */
  transferSteps: number;
  /** Held-out evaluations along the finetune and scratch runs (points of the transfer curve). */
  curvePoints: number;
  /** Also read ink off the AUNN's reconstruction of the layers (costs a prediction of every layer voxel in the band). */
  inkFromModel: boolean;
  /** Beam width of the line decoder (decode.ts DEFAULT_BEAM in the full demo). */
  beam: number;
}

export const DEMO_FORMAT = 2;

/** The readout's time limit: a guard against a runaway, never the budget that binds. */
export const READOUT_SAFETY_SECONDS = 3600;

export function demoSettings(quick: boolean): DemoSettings {
  return quick
    ? {
        seeds: [1, 2],
        sampleSize: 'small',
        trainSteps: 150,
        readoutSteps: 40,
        readoutEnsemble: 1,
        transferSteps: 100,
        curvePoints: 4,
        inkFromModel: false,
        beam: 50,
      }
    : {
        seeds: [1, 2],
        sampleSize: 'small',
        trainSteps: 2000,
        readoutSteps: 150,
        readoutEnsemble: 3,
        transferSteps: 600,
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
