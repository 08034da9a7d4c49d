/**
 * The reference MLP's speed on this machine: 40 address bits → 6 hidden layers of 256 → 256-way softmax, batch
 * 4096, AdamW — as the trainer runs it (worker threads, shared-memory gradient averaging), with 1 and 2 threads;
 * inference samples/s (model.predict) on the default engine (ONNX Runtime, native) and on the tfjs wasm fallback;
 * samples per CPU-second (process CPU time, every thread: less disturbed than samples/s by others on shared cores);
 * peak RSS; and PyTorch on the same MLP (bench/torch_cpu.py, run before and after ours, its BLAS threads pinned) with
 * the ratios, when a python3 with torch is found ($PYTHON, python3, /usr/bin/python3). Our layers are pre-RMSNorm
 * residual blocks and our inference includes the softmax head: a little more work than the plain MLP of PyTorch's.
 * The README's Speed table is this bench's output.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

type TorchRates = Record<'1t' | '2t', { train_sps: number; infer_sps: number }>;

/**
 * bench/torch_cpu.py's rates (the reference MLP in PyTorch on the CPU) at `threads` threads, or undefined without
 * python3 + torch. The BLAS's own threads are pinned too (OpenBLAS ignores torch.set_num_threads).
 */
function torchReference(quick: boolean, threads: 1 | 2): TorchRates['1t'] | undefined {
  if (quick) return undefined;
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  // $PYTHON, else the first python3 on the PATH, else the system's (a pyenv python3 may lack the Debian torch).
  for (const python of [process.env.PYTHON, 'python3', '/usr/bin/python3']) {
    if (!python) continue;
    const r = spawnSync(python, [fileURLToPath(new URL('./torch_cpu.py', import.meta.url))], {
      encoding: 'utf8',
      timeout: 600_000,
      env,
    });
    if (r.status !== 0) continue;
    try {
      return (JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchRates)[threads === 1 ? '1t' : '2t'];
    } catch {
      continue;
    }
  }
  return undefined;
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
  const trainRates: Record<string, number> = {};
  try {
    // PyTorch in the same sitting, before our runs and after them (the machine is shared: the pair is the number).
    const torchRuns = [{ 1: torchReference(opts.quick, 1), 2: torchReference(opts.quick, 2) }];
    const runs = [
      { threads: 1, engine: 'onnxruntime' },
      { threads: 2, engine: 'tfjs' },
      { threads: 2, engine: 'onnxruntime' }, // last: its model is the one inference runs on
    ] as const;
    for (const { threads, engine } of runs) {
      modelDir = mkdtempSync(path.join(opts.tmpDir || os.tmpdir(), `mlp-${threads}-`));
      // The training workers take the engine from the environment (AUNN_ENGINE) when they start.
      const saved = process.env.AUNN_ENGINE;
      process.env.AUNN_ENGINE = engine;
      try {
        // The first steps warm up (wasm compile, allocation): time the run after a short warm-up run. CPU time of
        // the process (all threads) over the timed run minus the warm-up run (both start workers) = the CPU of
        // steps − 2 steps: a number the other users of shared cores disturb far less than samples/s.
        const c0 = cpuSeconds();
        await trainModel({ corpus, modelDir, steps: 2, threads, config });
        const c1 = cpuSeconds();
        const r = await trainModel({ corpus, modelDir, steps, threads });
        const c2 = cpuSeconds();
        // The default engine keeps the plain names; the wasm fallback is named.
        const label = `${threads} thread${threads > 1 ? 's' : ''}${engine === 'tfjs' ? ', tfjs wasm' : ''}`;
        trainRates[label] = r.samplesPerS;
        emit(`train samples/s (${label})`, Math.round(r.samplesPerS), 'samples/s');
        emit(
          `train samples per CPU-second (${label})`,
          Math.round((4096 * (steps - 2)) / Math.max(1e-3, c2 - c1 - (c1 - c0))),
          'samples/CPU-s',
        );
        if (threads === 2 && engine === 'onnxruntime') {
          emit('backend', r.backend);
          emit('threads', r.threads);
        } else rmSync(modelDir, { recursive: true, force: true });
      } finally {
        if (saved === undefined) delete process.env.AUNN_ENGINE;
        else process.env.AUNN_ENGINE = saved;
      }
    }
    const model = await loadModel(modelDir);
    const n = opts.quick ? 16384 : 131072;
    const addresses = Float64Array.from({ length: n }, (_, i) => (i * 7919) % (32 * 128 * 128));
    const ours: Record<string, number> = {};
    for (const engine of ['onnxruntime', 'tfjs'] as const) {
      await model.predict(addresses.subarray(0, 8192), corpus.manifest, { engine });
      for (const threads of [1, 2]) {
        await model.predict(addresses.subarray(0, 8 * 8192 * threads), corpus.manifest, {
          batchSize: 8192,
          threads,
          engine,
        });
        const t0 = performance.now();
        const c0 = cpuSeconds();
        await model.predict(addresses, corpus.manifest, { batchSize: 8192, threads, engine });
        const rate = n / ((performance.now() - t0) / 1000);
        // The default engine keeps the plain names; the wasm fallback is named.
        const label = `${threads} thread${threads > 1 ? 's' : ''}${engine === 'tfjs' ? ', tfjs wasm' : ''}`;
        ours[label] = rate;
        emit(`inference samples/s (${label})`, Math.round(rate), 'samples/s');
        emit(`inference samples per CPU-second (${label})`, Math.round(n / (cpuSeconds() - c0)), 'samples/CPU-s');
      }
      if (engine === 'onnxruntime') emit('default inference engine', model.engine ?? '');
    }
    torchRuns.push({ 1: torchReference(opts.quick, 1), 2: torchReference(opts.quick, 2) });
    if (torchRuns.every((t) => t[1] && t[2])) {
      for (const th of [1, 2] as const) {
        const mean = (f: (r: TorchRates['1t']) => number) => (f(torchRuns[0]![th]!) + f(torchRuns[1]![th]!)) / 2;
        const label = `${th} thread${th > 1 ? 's' : ''}`;
        emit(`PyTorch train samples/s (${label})`, Math.round(mean((r) => r.train_sps)), 'samples/s');
        emit(`PyTorch inference samples/s (${label})`, Math.round(mean((r) => r.infer_sps)), 'samples/s');
        emit(`inference vs PyTorch (${label})`, (ours[label]! / mean((r) => r.infer_sps)).toFixed(2), 'x');
        emit(
          `inference vs PyTorch (${label}, tfjs wasm)`,
          (ours[`${label}, tfjs wasm`]! / mean((r) => r.infer_sps)).toFixed(2),
          'x',
        );
        for (const l of [label, `${label}, tfjs wasm`])
          if (trainRates[l])
            emit(`train vs PyTorch (${l})`, (trainRates[l]! / mean((r) => r.train_sps)).toFixed(2), 'x');
      }
    } else emit('PyTorch reference', 'skipped', '(python3 with torch not found)');
    model.dispose();
  } finally {
    clearInterval(timer);
  }
  emit('peak RSS (main + workers)', Math.round(rssPeak / 2 ** 20), 'MiB');
  emit('load average (1 min) during the run', os.loadavg()[0].toFixed(2), '(the cores are shared: numbers are noisy)');
}
