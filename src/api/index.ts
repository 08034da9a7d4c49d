/**
 * The wire types of the local API: what the server (src/server) sends and the viewer (src/viewer) and the app read.
 * Types only, so the browser bundle takes nothing from the Node floors.
 */
import type { Manifest, RecordMeta } from '../corpus/types.js';

export type { Manifest, RecordMeta };

export type Axis = 'z' | 'y' | 'x';
export type Shape3 = [number, number, number];

export interface RecordInfo extends RecordMeta {
  levelShapes: Shape3[];
}

export interface Plane {
  rows: number;
  cols: number;
  data: Uint8Array;
}

export interface Volume {
  shape: Shape3;
  data: Uint8Array;
  level: number;
  /** Region start in level coordinates [z, y, x]. */
  offset: Shape3;
}

/** Commands the app may start. Anything else is refused. */
export const JOB_COMMANDS = ['ingest', 'train', 'finetune', 'predict', 'ink', 'read', 'export', 'condition'] as const;
export type JobCommand = (typeof JOB_COMMANDS)[number];

export type JobState = 'running' | 'done' | 'failed' | 'cancelled';

export interface JobProgress {
  label: string;
  percent: number;
  ratePerS?: number;
  unit?: string;
  etaS?: number;
  /** Extra numbers (loss, psnr, backend, ...). */
  info: Record<string, number | string>;
}

export type JobEvent =
  | { type: 'progress'; t: number; progress: JobProgress }
  | { type: 'log'; t: number; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'end'; t: number; state: JobState; exitCode: number | null };

export interface JobInfo {
  id: string;
  command: string;
  args: string[];
  state: JobState;
  startedAt: number;
  endedAt?: number;
  exitCode?: number | null;
  last?: JobProgress;
}
