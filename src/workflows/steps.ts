/**
 * The demo's steps: each prints a header, runs, and prints its time; the log keeps what happened to every step
 * ('done', 'reused' from an earlier run, 'not available' when a piece of the app is not built yet, 'failed') for the
 * report. A step that needs a missing piece throws `NotAvailable`; the chain goes on without it. Ctrl-C (the signal)
 * stops the chain at once.
 *
 *   const steps = new StepLog(12, signal);
 *   const trained = await steps.run('Train on scroll 1', async (s) => { s.note('2000 steps'); return trainModel(opts); });
 *   steps.entries; // [{ title, status: 'done', seconds: 241.3, notes: [...] }]
 */
export type StepStatus = 'done' | 'reused' | 'not available' | 'failed';

/** A piece of the app the step needs is not there yet (module or API missing); the report says so. */
export class NotAvailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotAvailable';
  }
}

export interface StepEntry {
  n: number;
  title: string;
  status: StepStatus;
  seconds: number;
  notes: string[];
  error?: string;
}

export interface StepContext {
  /** A line under the step's header (and in the report's step table). */
  note(text: string): void;
  /** Mark the step as reused from an earlier run (its stored time is reported). */
  reused(earlierSeconds?: number): void;
}

function fmtSeconds(s: number): string {
  return s >= 90 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(1)} s`;
}

export class StepLog {
  readonly entries: StepEntry[] = [];
  constructor(
    readonly total: number,
    readonly signal?: AbortSignal,
    readonly print: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  ) {}

  /**
   * Runs one step. `NotAvailable` is caught (status 'not available', result undefined); with `optional`, other errors
   * are caught too (status 'failed'); an abort always propagates.
   */
  async run<T>(
    title: string,
    fn: (ctx: StepContext) => Promise<T>,
    opts: { optional?: boolean } = {},
  ): Promise<T | undefined> {
    this.signal?.throwIfAborted();
    const entry: StepEntry = { n: this.entries.length + 1, title, status: 'done', seconds: 0, notes: [] };
    this.entries.push(entry);
    this.print(`\n== [${entry.n}/${this.total}] ${title} ==`);
    let reusedSeconds: number | undefined;
    const ctx: StepContext = {
      note: (text) => {
        entry.notes.push(text);
        this.print(`   ${text}`);
      },
      reused: (earlier) => {
        entry.status = 'reused';
        reusedSeconds = earlier;
      },
    };
    const t0 = performance.now();
    try {
      const out = await fn(ctx);
      entry.seconds = (performance.now() - t0) / 1000;
      const extra =
        entry.status === 'reused'
          ? ` (reused from the previous run${reusedSeconds !== undefined ? `, which took ${fmtSeconds(reusedSeconds)}` : ''})`
          : '';
      if (entry.status === 'reused')
        entry.notes.unshift(`reused${reusedSeconds !== undefined ? ` (first run: ${fmtSeconds(reusedSeconds)})` : ''}`);
      this.print(`   ${title}: ${fmtSeconds(entry.seconds)}${extra}`);
      return out;
    } catch (err) {
      entry.seconds = (performance.now() - t0) / 1000;
      if (this.signal?.aborted) {
        entry.status = 'failed';
        entry.error = 'interrupted';
        throw err;
      }
      if (err instanceof NotAvailable) {
        entry.status = 'not available';
        entry.error = err.message;
        this.print(`   not available yet: ${err.message}`);
        return undefined;
      }
      if (!opts.optional) {
        entry.status = 'failed';
        entry.error = (err as Error).message;
        throw err;
      }
      entry.status = 'failed';
      entry.error = (err as Error).message.split('\n')[0];
      this.print(`   failed: ${entry.error}`);
      return undefined;
    }
  }

  get totalSeconds(): number {
    return this.entries.reduce((s, e) => s + e.seconds, 0);
  }
}

export { fmtSeconds };
