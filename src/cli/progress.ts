/**
 * Progress on the terminal: a bar with rate and ETA (cli-progress) when stderr is a TTY, a line every few seconds
 * otherwise (CI logs), and `@progress {json}` lines when the app's job runner asks for them (AUNN_PROGRESS_JSON=1).
 * The floors below report through core/task's ProgressTracker; this file only draws their events.
 *
 *   const p = progress('ingest scanA', totalBytes, { unit: 'MB', scale: 1e-6 });
 *   p.tick(n); ... p.done();
 *   await ingestPath(corpus, path, { onProgress: terminalProgress({ unit: 'MB', scale: 1e-6 }) });
 */
import cliProgress from 'cli-progress';
import { progressTracker, type ProgressEvent, type ProgressListener, type ProgressTracker } from '../core/task.js';

export type { ProgressEvent, ProgressListener };
export type Progress = ProgressTracker;

export interface ProgressOptions {
  /** Unit shown after the rate, e.g. 'samples', 'MB'. */
  unit?: string;
  /** Multiply counts by this for display (e.g. bytes → MB). */
  scale?: number;
  /** Also called with every event (throttled to ~4/s). */
  onEvent?: ProgressListener;
  /** Silence the terminal output (events still fire). */
  quiet?: boolean;
}

const fmtInfo = (info?: Record<string, number | string>) =>
  info
    ? Object.entries(info)
        .map(([k, v]) => `${k}=${typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(4)) : v}`)
        .join(' ')
    : '';

/** A listener that draws events on stderr; one bar per label. */
export function terminalProgress(opts: Omit<ProgressOptions, 'onEvent'> = {}): ProgressListener {
  const scale = opts.scale ?? 1;
  const jsonLines = process.env.AUNN_PROGRESS_JSON === '1';
  const tty = Boolean(process.stderr.isTTY) && !opts.quiet && !jsonLines;
  let bar: cliProgress.SingleBar | undefined;
  let barLabel = '';
  let lastLine = 0;
  return (ev) => {
    const unit = opts.unit ?? ev.unit ?? '';
    if (jsonLines) {
      // The rate in the unit the user reads (MB/s, not bytes/s), with that unit, as on the terminal.
      const line = { ...ev, ratePerS: ev.ratePerS * scale, unit, etaS: Number.isFinite(ev.etaS) ? ev.etaS : null };
      process.stderr.write(`@progress ${JSON.stringify(line)}\n`);
      return;
    }
    if (opts.quiet) return;
    if (tty) {
      if (!bar || barLabel !== ev.label) {
        bar?.stop();
        barLabel = ev.label;
        bar = new cliProgress.SingleBar(
          {
            format: `${ev.label} [{bar}] {percentage}% | {rate} ${unit}/s | ETA {eta_formatted} {info}`,
            stream: process.stderr,
            hideCursor: true,
            clearOnComplete: false,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.max(ev.total, 1), 0, { rate: '0', info: '' });
      }
      bar.update(Math.min(ev.done, ev.total), { rate: (ev.ratePerS * scale).toFixed(1), info: fmtInfo(ev.info) });
      if (ev.final) {
        bar.stop();
        bar = undefined;
      }
      return;
    }
    const now = performance.now();
    if (ev.final || lastLine === 0 || now - lastLine >= 5000) {
      lastLine = now;
      const pct = ev.total > 0 ? ((100 * ev.done) / ev.total).toFixed(0) : '0';
      const etaText = Number.isFinite(ev.etaS) ? `${ev.etaS.toFixed(0)}s` : '?';
      process.stderr.write(
        `${ev.label}: ${pct}% ${(ev.ratePerS * scale).toFixed(1)} ${unit}/s ETA ${etaText} ${fmtInfo(ev.info)}\n`,
      );
    }
  };
}

/** A tracker drawn on the terminal (and forwarded to `onEvent`). */
export function progress(label: string, total: number, opts: ProgressOptions = {}): Progress {
  const draw = terminalProgress(opts);
  const listener: ProgressListener = (ev) => {
    opts.onEvent?.(ev);
    draw(ev);
  };
  return progressTracker(label, total, listener);
}
