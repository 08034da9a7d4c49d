/**
 * Progress for long work: a terminal bar with rate and ETA (cli-progress) when stderr is a TTY, a line every few
 * seconds otherwise (CI logs), and the same numbers as events for the app.
 *
 *   const p = progress('ingest scanA', totalBytes, { unit: 'MB', scale: 1e-6 });
 *   p.tick(n); ... p.done();
 */
import cliProgress from 'cli-progress';

export interface ProgressEvent {
  label: string;
  done: number;
  total: number;
  ratePerS: number;
  etaS: number;
  /** Extra numbers, e.g. { loss, psnr }. */
  info?: Record<string, number | string>;
}

export type ProgressListener = (e: ProgressEvent) => void;

export interface Progress {
  tick(n?: number, info?: Record<string, number | string>): void;
  set(done: number, info?: Record<string, number | string>): void;
  done(): void;
}

export interface ProgressOptions {
  /** Unit shown after the rate, e.g. 'samples', 'MB'. */
  unit?: string;
  /** Multiply counts by this for display (e.g. bytes → MB). */
  scale?: number;
  /** Called with every update (throttled to ~4/s); the server forwards these to the app. */
  onEvent?: ProgressListener;
  /** Silence the terminal output (events still fire). */
  quiet?: boolean;
}

export function progress(label: string, total: number, opts: ProgressOptions = {}): Progress {
  const start = performance.now();
  const scale = opts.scale ?? 1;
  const unit = opts.unit ?? '';
  // Under the app's job runner, progress goes out as machine-readable lines instead of a bar.
  const jsonLines = process.env.AUNN_PROGRESS_JSON === '1';
  const tty = Boolean(process.stderr.isTTY) && !opts.quiet && !jsonLines;
  let doneCount = 0;
  let lastEmit = 0;
  let lastInfo: Record<string, number | string> | undefined;
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          format: `${label} [{bar}] {percentage}% | {rate} ${unit}/s | ETA {eta_formatted} {info}`,
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(Math.max(total, 1), 0, { rate: '0', info: '' });

  const fmtInfo = (info?: Record<string, number | string>) =>
    info
      ? Object.entries(info)
          .map(([k, v]) => `${k}=${typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(4)) : v}`)
          .join(' ')
      : '';

  const update = (force: boolean) => {
    const now = performance.now();
    if (!force && now - lastEmit < 250) return;
    const elapsed = (now - start) / 1000;
    const rate = elapsed > 0 ? doneCount / elapsed : 0;
    const eta = rate > 0 ? Math.max(0, (total - doneCount) / rate) : Infinity;
    const ev: ProgressEvent = { label, done: doneCount, total, ratePerS: rate, etaS: eta, info: lastInfo };
    opts.onEvent?.(ev);
    if (jsonLines) {
      process.stderr.write(`@progress ${JSON.stringify({ ...ev, etaS: Number.isFinite(eta) ? eta : null })}\n`);
    } else if (bar) {
      bar.update(Math.min(doneCount, total), { rate: (rate * scale).toFixed(1), info: fmtInfo(lastInfo) });
    } else if (!opts.quiet && (force || now - lastEmit >= 5000 || lastEmit === 0)) {
      const pct = total > 0 ? ((100 * doneCount) / total).toFixed(0) : '0';
      const etaText = Number.isFinite(eta) ? `${eta.toFixed(0)}s` : '?';
      process.stderr.write(`${label}: ${pct}% ${(rate * scale).toFixed(1)} ${unit}/s ETA ${etaText} ${fmtInfo(lastInfo)}\n`);
    }
    lastEmit = now;
  };

  return {
    tick(n = 1, info) {
      doneCount += n;
      if (info) lastInfo = info;
      update(false);
    },
    set(d, info) {
      doneCount = d;
      if (info) lastInfo = info;
      update(false);
    },
    done() {
      update(true);
      bar?.stop();
    },
  };
}
