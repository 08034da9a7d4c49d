/**
 * What the benches over several scrolls share: a seed list from "1-6,9" and per-metric mean, sd (n − 1), min and n,
 * emitted as `<key>: mean` … lines.
 *
 *   const stats = new MetricStats();
 *   stats.add('missing slab · ink F0.5 (observed)', 0.41);
 *   const summary = stats.emit(emit);     // { key: { mean, sd, min, n } }
 */
import type { Emit } from '../src/cli/commands/bench.js';

export function seedList(spec: string): number[] {
  return spec.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    return b === undefined ? [a!] : Array.from({ length: b - a! + 1 }, (_, i) => a! + i);
  });
}

export interface MetricSummary {
  mean: number;
  sd: number;
  min: number;
  n: number;
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;

export class MetricStats {
  private readonly values = new Map<string, number[]>();

  /** Non-finite values (a metric a scroll could not give) are left out. */
  add(key: string, v: number): void {
    if (!Number.isFinite(v)) return;
    const a = this.values.get(key) ?? [];
    a.push(v);
    this.values.set(key, a);
  }

  /** Emits and returns the summary of every key, sorted by key. */
  emit(emit: Emit): Record<string, MetricSummary> {
    const summary: Record<string, MetricSummary> = {};
    for (const [key, values] of [...this.values.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const n = values.length;
      const mean = values.reduce((s, v) => s + v, 0) / n;
      const sd = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
      const min = Math.min(...values);
      summary[key] = { mean, sd, min, n };
      emit(`${key}: mean`, round(mean));
      emit(`${key}: sd`, round(sd));
      emit(`${key}: min`, round(min));
      emit(`${key}: n`, n);
    }
    return summary;
  }
}
