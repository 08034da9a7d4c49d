/**
 * What the training host (trainer.ts) and its worker threads (train-worker.ts) share: the start-up data, the
 * messages, the control slots in shared memory and the barrier that keeps the steps in lock-step.
 */
import type { RecordMeta } from '../corpus/index.js';
import type { BackendName } from './backend.js';
import type { CheckpointHeader } from './checkpoint.js';
import type { ModelConfig } from './config.js';
import type { TrainSet } from './data.js';

export interface WorkerInit {
  workerId: number;
  threads: number;
  backend?: BackendName;
  config: ModelConfig;
  manifestRecords: RecordMeta[];
  set: TrainSet;
  heldOutFraction: number;
  shared: {
    params: SharedArrayBuffer;
    m: SharedArrayBuffer;
    v: SharedArrayBuffer;
    grads: SharedArrayBuffer;
    ctrl: SharedArrayBuffer;
    stats: SharedArrayBuffer;
    sched: SharedArrayBuffer;
  };
  evalSet: { addresses: Float64Array; labels: Uint8Array; record: Int32Array };
  /** Record names that evalSet.record indexes. */
  evalNames: string[];
  /** Leader only: checkpoint header template and where to write it. */
  header: Omit<CheckpointHeader, 'blobFloats' | 'blobSha256'>;
  checkpointFile: string;
}

export type WorkerMessage =
  /** backend: the tfjs backend, or 'onnxruntime' when the native engine computes the gradients. */
  | { type: 'ready'; workerId: number; backend: BackendName | 'onnxruntime' }
  | {
      type: 'progress';
      step: number;
      runSteps: number;
      elapsedMs: number;
      loss: number;
      trainPsnr: number;
      heldOutPsnr?: number;
      samplesPerS: number;
      fraction: number;
    }
  | { type: 'checkpoint'; step: number; file: string }
  | { type: 'done'; header: CheckpointHeader; samplesPerS: number; runSteps: number }
  | { type: 'error'; message: string; stack?: string };

// ctrl (Int32) slots
export const COUNT = 0;
export const GEN = 1;
export const STOP = 2;
export const STOP_REQ = 3;

export function barrier(ctrl: Int32Array, n: number): void {
  const gen = Atomics.load(ctrl, GEN);
  if (Atomics.add(ctrl, COUNT, 1) === n - 1) {
    Atomics.store(ctrl, COUNT, 0);
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
  } else {
    while (Atomics.load(ctrl, GEN) === gen) Atomics.wait(ctrl, GEN, gen, 1000);
  }
}
