/**
 * `aunn bench [--only NAME] [--json]`: runs the benchmarks in bench/*.bench.ts and prints their numbers.
 * Each benchmark module exports `name`, `description` and `run(emit, opts)`; `emit(metric, value, unit)` prints
 * one line, or with --json one object per line: {"bench": NAME, "metric": ..., "value": ..., "unit": ...}.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { Command } from 'commander';
import { UserError } from '../../core/errors.js';

export type Emit = (metric: string, value: number | string, unit?: string) => void;
export interface BenchOptions {
  /** Shorter runs (used by the test that checks every benchmark starts). */
  quick: boolean;
  /** Scratch folder for the benchmark's files. */
  tmpDir: string;
}
export interface BenchModule {
  name: string;
  description: string;
  run(emit: Emit, opts: BenchOptions): Promise<void>;
}

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bench');

export async function listBenchmarks(): Promise<BenchModule[]> {
  const files = (await readdir(benchDir)).filter((f) => f.endsWith('.bench.ts')).sort();
  const mods: BenchModule[] = [];
  for (const f of files) mods.push((await import(pathToFileURL(path.join(benchDir, f)).href)) as BenchModule);
  return mods;
}

export async function run(argv: string[]): Promise<void> {
  const cmd = new Command('aunn bench')
    .option('--only <names>', 'comma-separated benchmark names')
    .option('--json', 'one JSON object per line')
    .option('--quick', 'short runs')
    .option('--list', 'list the benchmarks')
    .parse(argv, { from: 'user' });
  const o = cmd.opts<{ only?: string; json?: boolean; quick?: boolean; list?: boolean }>();
  const all = await listBenchmarks();
  if (o.list) {
    for (const b of all) console.log(`${b.name.padEnd(16)} ${b.description}`);
    return;
  }
  const only = o.only?.split(',').map((s) => s.trim());
  if (only) {
    const unknown = only.filter((n) => !all.some((b) => b.name === n));
    if (unknown.length)
      throw new UserError(`unknown benchmark(s): ${unknown.join(', ')} (have: ${all.map((b) => b.name).join(', ')})`);
  }
  const chosen = only ? all.filter((b) => only.includes(b.name)) : all;
  const { mkdtemp, rm } = await import('node:fs/promises');
  const os = await import('node:os');
  for (const b of chosen) {
    const tmpDir = await mkdtemp(path.join(os.tmpdir(), `aunn-bench-${b.name}-`));
    const emit: Emit = (metric, value, unit = '') => {
      if (o.json) console.log(JSON.stringify({ bench: b.name, metric, value, unit }));
      else
        console.log(
          `${b.name.padEnd(14)} ${metric.padEnd(36)} ${typeof value === 'number' ? +value.toPrecision(6) : value} ${unit}`,
        );
    };
    if (!o.json) console.log(`# ${b.name}: ${b.description}`);
    try {
      await b.run(emit, { quick: Boolean(o.quick), tmpDir });
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
  }
}
