/**
 * The wire types of the local API: what the server (src/server) sends and the viewer (src/viewer) and the app read.
 * Types, and the job table (job-spec.ts) as plain data, so the browser bundle takes nothing from the Node floors.
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

export {
  JOB_COMMANDS,
  JOB_SPECS,
  jobRequestFromArgs,
  optionFlag,
  type JobCommand,
  type JobCommandSpec,
  type JobOptionKind,
  type JobOptionSpec,
  type JobOptionValue,
  type JobRequest,
} from './job-spec.js';
import type { JobRequest } from './job-spec.js';

/** queued: waiting for a free slot (at most a few jobs run at once). */
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

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
  | { type: 'end'; t: number; state: JobState; exitCode: number | null; error?: string };

export interface JobInfo {
  id: string;
  command: string;
  /** The request as the server accepted it. */
  request: JobRequest;
  /** The command line the server built from it (paths inside the corpus). */
  args: string[];
  state: JobState;
  startedAt: number;
  endedAt?: number;
  exitCode?: number | null;
  last?: JobProgress;
  /** Why a failed job failed: its last line on stderr (the command's one-line reason). */
  error?: string;
}
