/**
 * The reference MLP's speed on this machine: 40 address bits → 6 hidden layers of 256 → 256-way softmax, batch
 * 4096, AdamW — as the trainer runs it (worker threads, shared-memory gradient averaging), with 1 and 2 threads;
 * inference samples/s (model.predict); samples per CPU-second of both (process CPU time, every thread: far less
 * disturbed than samples/s by others on shared cores); peak RSS; backend. Our layers are pre-RMSNorm residual
 * blocks, a little more work than the plain MLP of the PyTorch reference (/work/shared/bench/torch_ref.py).
 *
 * Measured 2026-11-27 10:45–10:51 in one sitting, interleaved (torch, before, now, now, before, torch), 2 shared
 * cores with load average 3.6–5.4 (other users: every number here is noisy, the CPU-second ones least):
 *   | samples/s (per CPU-second)  | train 1 thread | train 2 threads | infer 1 thread | infer 2 threads | peak RSS |
 *   | before (51e1a47)            | 4,267–6,082    | 5,374–6,108     | 21,352–21,983  | 21,099–21,571   | 971 MiB  |
 *   | now                         | 7,639–7,726 (7,882) | 7,378–7,423 (7,583–7,671) | 24,738–25,053 (24.9–25.5k) | 24,098–24,573 | 786–822 MiB |
 *   | PyTorch 1.13 (torch_cpu.py) | 7,327–11,852 (11.7–11.9k) | 3,963–4,296 | 36,618–37,292 (36.8–37.5k) | 19,864–20,328 | – |
 * A quieter moment (10:54–10:57, load 2.1–2.8: our run and little else), torch_ref.py / now / torch_ref.py:
 *   PyTorch 14,662 train, 40,850 infer; now 7,949 (1 thread) and 14,772 (2 threads) train, 24,847 and 49,619
 *   infer, peak RSS 812 MiB; PyTorch 15,873 train, 40,139 infer → we train at 0.93–1.01x and infer at 1.21–1.24x.
 * Under load, 2 threads gain nothing (the second core is busy) and PyTorch's OpenMP threads collapse; per CPU-second
 * PyTorch (oneDNN, AVX-512) does 1.5x our work (train and infer). Before this work, on the quiet machine: 12,128 train
 * (2 threads) and 43,132 inference/s vs PyTorch 14,620 / 44,129. Where a step goes now (CPU time, 2048 samples, one
 * thread, ~255 ms): ~87% the 19 matMuls (XNNPACK at ~24 GFLOP/s; weight gradients by our SIMD GEMM), the rest the
 * fused kernels of src/model/fused-ops.ts; the leader's average + clip + AdamW ~3.5 ms a step.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Emit, BenchOptions } from '../src/cli/commands/bench.js';
import { loadModel } from '../src/model/index.js';
import { trainModel } from '../src/model/index.js';
import { scrollField, SyntheticCorpus } from '../test/model/synthetic.js';

/** CPU seconds of this process, every thread included (the training and inference workers are threads). */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export const name = 'mlp';
export const description =
  'reference MLP (40 bits → 6×256 → 256, batch 4096, AdamW): train and inference samples/s, peak RSS';

export async function run(emit: Emit, opts: BenchOptions): Promise<void> {
  const corpus = new SyntheticCorpus();
  corpus.add({ name: 'b/scan', scroll: 'b', shape: [32, 128, 128], voxelSizeUm: [1, 1, 1], fill: scrollField() });
  const config = {
    encoding: { kind: 'bits' as const },
    width: 256,
    depth: 6,
    train: { batchSize: 4096, evalEverySeconds: 1e9, checkpointEverySeconds: 1e9 },
  };
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
      emit(
        `train samples per CPU-second (${label})`,
        Math.round((4096 * (steps - 2)) / Math.max(1e-3, c2 - c1 - (c1 - c0))),
        'samples/CPU-s',
      );
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
