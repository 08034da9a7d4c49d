/**
 * Chooses the TensorFlow.js backend at run time: `tensorflow` when the optional @tensorflow/tfjs-node-gpu or
 * @tensorflow/tfjs-node can be imported, else `wasm` (SIMD, ships in the npm package). Never `cpu` for training
 * (~25x slower), unless asked for explicitly (tests of tiny shapes).
 *
 *   const backend = await initBackend();   // 'tensorflow' | 'wasm'
 */
import * as tf from '@tensorflow/tfjs-core';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

let chosen: Promise<BackendName> | undefined;

async function tryNative(): Promise<boolean> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg as string);
      if (await tf.setBackend('tensorflow')) return true;
    } catch {
      // not installed (optional dependency): try the next one
    }
  }
  return false;
}

/** Initialises (once per thread) and returns the backend in use. `prefer` forces one (e.g. AUNN_BACKEND=wasm). */
export function initBackend(
  prefer: BackendName | undefined = process.env.AUNN_BACKEND as BackendName | undefined,
): Promise<BackendName> {
  chosen ??= (async (): Promise<BackendName> => {
    if ((prefer === undefined || prefer === 'tensorflow') && (await tryNative())) return 'tensorflow';
    if (prefer === 'cpu') {
      await import('@tensorflow/tfjs-backend-cpu');
      await tf.setBackend('cpu');
      await tf.ready();
      return 'cpu';
    }
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js wasm backend failed to initialise');
    await tf.ready();
    return 'wasm';
  })();
  return chosen;
}
