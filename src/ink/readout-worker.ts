/**
 * A worker thread that trains one network of the ink readout's ensemble (readout.ts's trainNetwork, on its own wasm
 * backend), so the members train side by side on the cores. Started by trainReadout, never imported directly.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { trainNetwork, type MemberJob, type MemberReply } from './readout.js';

const job = workerData as MemberJob | null;
if (job)
  trainNetwork(job.segments, {
    ...job.opts,
    onStep: (step, _max, info) => parentPort!.postMessage({ type: 'step', step, info } satisfies MemberReply),
  }).then(
    (result) => parentPort!.postMessage({ type: 'done', result } satisfies MemberReply),
    (e: Error) => parentPort!.postMessage({ type: 'error', message: e.message } satisfies MemberReply),
  );
