/**
 * The one shape of long work: every long-running function takes `TaskOptions` (a signal to cancel it, a listener for
 * its progress) and reports `ProgressEvent`s through a `ProgressTracker`. How progress is shown (a terminal bar, JSON
 * lines for the app, nothing) is the caller's business.
 *
 *   const t = progressTracker('ingest scanA', totalBytes, opts.onProgress, { unit: 'B' });
 *   t.tick(n); ... t.done();
 */

export interface ProgressEvent {
  label: string;
  done: number;
  total: number;
  /** Units of `done` per second since the start. */
  ratePerS: number;
  /** Seconds left at the current rate (Infinity before any progress). */
  etaS: number;
  /** What `done` and `total` count, e.g. 'B', 'steps', 'voxels'. */
  unit?: string;
  /** Extra numbers, e.g. { loss, psnr }. */
  info?: Record<string, number | string>;
  /** True on the last event of a task. */
  final?: boolean;
}

export type ProgressListener = (e: ProgressEvent) => void;

export interface TaskOptions {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export interface ProgressTracker {
  tick(n?: number, info?: Record<string, number | string>): void;
  set(done: number, info?: Record<string, number | string>): void;
  done(): void;
}

/** Counts work and sends throttled events (at most every `everyMs`, and always the last) to `listener`. */
export function progressTracker(
  label: string,
  total: number,
  listener: ProgressListener | undefined,
  opts: { unit?: string; everyMs?: number } = {},
): ProgressTracker {
  const start = performance.now();
  const everyMs = opts.everyMs ?? 250;
  let count = 0;
  let lastEmit = -Infinity;
  let info: Record<string, number | string> | undefined;
  const emit = (final: boolean) => {
    if (!listener) return;
    const now = performance.now();
    if (!final && now - lastEmit < everyMs) return;
    lastEmit = now;
    const elapsed = (now - start) / 1000;
    const rate = elapsed > 0 ? count / elapsed : 0;
    const eta = rate > 0 ? Math.max(0, (total - count) / rate) : Infinity;
    const ev: ProgressEvent = { label, done: count, total, ratePerS: rate, etaS: eta, info };
    if (opts.unit !== undefined) ev.unit = opts.unit;
    if (final) ev.final = true;
    listener(ev);
  };
  return {
    tick(n = 1, i) {
      count += n;
      if (i) info = i;
      emit(false);
    },
    set(d, i) {
      count = d;
      if (i) info = i;
      emit(false);
    },
    done() {
      emit(true);
    },
  };
}
