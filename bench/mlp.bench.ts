/**
 * The reference MLP's speed on this machine: 40 address bits → 6 hidden layers of 256 → 256-way softmax, batch
 * 4096, AdamW — as the trainer runs it (worker threads, shared-memory gradient averaging), with 1 and 2 threads;
 * inference samples/s (model.predict); peak RSS; backend. Our layers are pre-RMSNorm residual blocks, a little more
 * work than the plain MLP of the PyTorch reference (/work/shared/bench/torch_ref.py: 18–25k train, 50–96k infer).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Emit, BenchOptions } from '../src/cli/commands/bench.js';
import { loadModel } from '../src/model/model.js';
import { trainModel } from '../src/model/trainer.js';
import { scrollField, SyntheticCorpus } from '../test/model/synthetic.js';

/** CPU seconds of this process, every thread included (the training and inference workers are threads). */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export const name = 'mlp';
export const description = 'reference MLP (40 bits → 6×256 → 256, batch 4096, AdamW): train and inference samples/s, peak RSS';

export async function run(emit: Emit, opts: BenchOptions): Promise<void> {
  const corpus = new SyntheticCorpus();
  corpus.add({ name: 'b/scan', scroll: 'b', shape: [32, 128, 128], voxelSizeUm: [1, 1, 1], fill: scrollField() });
  const config = { encoding: { kind: 'bits' as const }, width: 256, depth: 6, train: { batchSize: 4096, evalEverySeconds: 1e9, checkpointEverySeconds: 1e9 } };
  const steps = opts.quick ? 4 : 25;
  let rssPeak = process.memoryUsage().rss;
  const timer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
  let modelDir = '';
  try {
    for (const threads of [1, 2]) {
      modelDir = mkdtempSync(path.join(opts.tmpDir || os.tmpdir(), `mlp-${threads}-`));
      // The first steps warm up (wasm compile, allocation): time the run after a short warm-up run. CPU time of the
      // process (all threads) over the timed run minus the warm-up run (both start workers) = the CPU of steps − 2
      // steps: a number the other users of shared cores disturb far less than samples/s.
      const c0 = cpuSeconds();
      await trainModel({ corpus, modelDir, steps: 2, threads, config });
      const c1 = cpuSeconds();
      const r = await trainModel({ corpus, modelDir, steps, threads });
      const c2 = cpuSeconds();
      const label = `${threads} thread${threads > 1 ? 's' : ''}`;
      emit(`train samples/s (${label})`, Math.round(r.samplesPerS), 'samples/s');
      emit(`train samples per CPU-second (${label})`, Math.round((4096 * (steps - 2)) / Math.max(1e-3, c2 - c1 - (c1 - c0))), 'samples/CPU-s');
      if (threads === 2) {
        emit('backend', r.backend);
        emit('threads', r.threads);
      } else rmSync(modelDir, { recursive: true, force: true });
    }
    const model = await loadModel(modelDir);
    const n = opts.quick ? 16384 : 131072;
    const addresses = Float64Array.from({ length: n }, (_, i) => (i * 7919) % (32 * 128 * 128));
    await model.predict(addresses.subarray(0, 8192), corpus.manifest);
    for (const threads of [1, 2]) {
      await model.predict(addresses.subarray(0, 8 * 8192 * threads), corpus.manifest, { batchSize: 8192, threads });
      const t0 = performance.now();
      const c0 = cpuSeconds();
      await model.predict(addresses, corpus.manifest, { batchSize: 8192, threads });
      const label = `${threads} thread${threads > 1 ? 's' : ''}`;
      emit(`inference samples/s (${label})`, Math.round(n / ((performance.now() - t0) / 1000)), 'samples/s');
      emit(`inference samples per CPU-second (${label})`, Math.round(n / (cpuSeconds() - c0)), 'samples/CPU-s');
    }
    model.dispose();
  } finally {
    clearInterval(timer);
  }
  emit('peak RSS (main + workers)', Math.round(rssPeak / 2 ** 20), 'MiB');
  emit('load average (1 min) during the run', os.loadavg()[0].toFixed(2), '(the cores are shared: numbers are noisy)');
}
