/**
 * Long jobs started from the app (ingest, train, finetune, predict, ink, read, export) run as child processes of
 * `node bin/aunn.js <command> ... --corpus DIR`, so the server (and the UI) never block on them. Progress lines the
 * child prints on stderr are parsed into events, kept (for late subscribers) and streamed; a job can be cancelled.
 *
 *   const jobs = new JobRunner({ corpusDir });
 *   const job = jobs.start('train', ['--steps', '200']);
 *   const stop = jobs.subscribe(job.id, (e) => console.log(e));
 *   jobs.cancel(job.id);
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { HttpError } from './http-util.js';
import {
  JOB_COMMANDS,
  type JobCommand,
  type JobEvent,
  type JobInfo,
  type JobProgress,
  type JobState,
} from '../api/index.js';

export { JOB_COMMANDS, type JobCommand, type JobState, type JobProgress, type JobEvent, type JobInfo };

interface Job extends JobInfo {
  child: ChildProcess;
  events: JobEvent[];
  listeners: Set<(e: JobEvent) => void>;
}

export interface JobRunnerOptions {
  corpusDir: string;
  /** How to start a job; default `node bin/aunn.js <command> ...args --corpus DIR`. Tests pass their own. */
  commandLine?: (command: string, args: string[]) => { file: string; args: string[] };
  /** Path of bin/aunn.js (default: found from this module; the bundled Electron main passes its own). */
  aunnBin?: string;
  /** Events kept per job (older logs are dropped, progress is thinned). */
  maxEvents?: number;
}

const AUNN_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/aunn.js');

/** Parse one stderr line of src/cli/progress.ts (non-TTY form) or a `@progress {json}` line. */
export function parseProgressLine(line: string): JobProgress | undefined {
  if (line.startsWith('@progress ')) {
    try {
      const e = JSON.parse(line.slice(10)) as {
        label: string;
        done: number;
        total: number;
        ratePerS: number;
        etaS: number;
        info?: Record<string, number | string>;
      };
      return {
        label: e.label,
        percent: e.total > 0 ? (100 * e.done) / e.total : 0,
        ratePerS: e.ratePerS,
        etaS: Number.isFinite(e.etaS) ? e.etaS : undefined,
        info: e.info ?? {},
      };
    } catch {
      return undefined;
    }
  }
  // "<label>: 42% 1234.5 samples/s ETA 12s loss=0.1234 psnr=17.20"
  const m = /^(.+?): (\d+(?:\.\d+)?)% (\d+(?:\.\d+)?) ?(\S*)\/s ETA (\S+)\s*(.*)$/.exec(line);
  if (!m) return undefined;
  const info: Record<string, number | string> = {};
  for (const kv of m[6]!.split(/\s+/).filter(Boolean)) {
    const eq = kv.indexOf('=');
    if (eq <= 0) continue;
    const v = kv.slice(eq + 1);
    info[kv.slice(0, eq)] = /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(v) ? Number(v) : v;
  }
  const eta = m[5]!.endsWith('s') ? Number(m[5]!.slice(0, -1)) : NaN;
  return {
    label: m[1]!,
    percent: Number(m[2]),
    ratePerS: Number(m[3]),
    unit: m[4] || undefined,
    etaS: Number.isFinite(eta) ? eta : undefined,
    info,
  };
}

export class JobRunner {
  private readonly jobs = new Map<string, Job>();
  private counter = 0;

  constructor(private readonly opts: JobRunnerOptions) {}

  /** Validate and start a job; HttpError 400 for a command not in JOB_COMMANDS or args that are not plain strings. */
  start(command: unknown, args: unknown): JobInfo {
    if (typeof command !== 'string' || !(JOB_COMMANDS as readonly string[]).includes(command)) {
      throw new HttpError(400, `unknown job command '${String(command)}' (allowed: ${JOB_COMMANDS.join(', ')})`);
    }
    if (
      !Array.isArray(args) ||
      args.length > 64 ||
      !args.every((a) => typeof a === 'string' && a.length <= 4096 && !/[\0\r\n]/.test(a))
    ) {
      throw new HttpError(400, 'job args must be at most 64 strings without control characters');
    }
    if (args.includes('--corpus')) throw new HttpError(400, 'the corpus is the one being served; do not pass --corpus');
    const line = this.opts.commandLine
      ? this.opts.commandLine(command, args)
      : {
          file: process.execPath,
          args: [this.opts.aunnBin ?? AUNN_BIN, command, ...args, '--corpus', this.opts.corpusDir],
        };
    const child = spawn(line.file, line.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Inside Electron, process.execPath is the Electron binary: run it as plain Node.
      env: {
        ...process.env,
        AUNN_PROGRESS_JSON: '1',
        FORCE_COLOR: '0',
        ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}),
      },
      detached: process.platform !== 'win32',
    });
    const id = `job${++this.counter}-${Date.now().toString(36)}`;
    const job: Job = {
      id,
      command,
      args: [...args],
      state: 'running',
      startedAt: Date.now(),
      child,
      events: [],
      listeners: new Set(),
    };
    this.jobs.set(id, job);
    for (const stream of ['stdout', 'stderr'] as const) {
      let pending = '';
      child[stream]!.setEncoding('utf8');
      child[stream]!.on('data', (text: string) => {
        pending += text;
        // progress.ts rewrites a TTY bar with \r; treat it like a newline.
        const lines = pending.split(/\r?\n|\r/);
        pending = lines.pop() ?? '';
        for (const l of lines) if (l.trim()) this.onLine(job, stream, l);
      });
    }
    child.on('error', (err) =>
      this.emit(job, { type: 'log', t: Date.now(), stream: 'stderr', line: `could not start: ${err.message}` }),
    );
    child.on('close', (code) => {
      if (job.state === 'running') job.state = code === 0 ? 'done' : 'failed';
      job.endedAt = Date.now();
      job.exitCode = code;
      this.emit(job, { type: 'end', t: Date.now(), state: job.state, exitCode: code });
    });
    return this.info(job);
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((j) => this.info(j));
  }

  get(id: string): JobInfo {
    return this.info(this.require(id));
  }

  /** Past events, then live ones until `end`. Returns the unsubscribe function. */
  subscribe(id: string, listener: (e: JobEvent) => void): () => void {
    const job = this.require(id);
    for (const e of job.events) listener(e);
    if (job.state !== 'running' && job.events.some((e) => e.type === 'end')) return () => {};
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  /** SIGTERM the job's process group, SIGKILL after `graceMs` if it is still there. */
  cancel(id: string, graceMs = 3000): JobInfo {
    const job = this.require(id);
    if (job.state !== 'running') return this.info(job);
    job.state = 'cancelled';
    const kill = (sig: NodeJS.Signals) => {
      try {
        if (job.child.pid && process.platform !== 'win32') process.kill(-job.child.pid, sig);
        else job.child.kill(sig);
      } catch {
        /* already gone */
      }
    };
    kill('SIGTERM');
    const timer = setTimeout(() => job.exitCode === undefined && kill('SIGKILL'), graceMs);
    timer.unref();
    return this.info(job);
  }

  /** Cancel everything still running (server shutdown). */
  cancelAll(): void {
    for (const j of this.jobs.values()) if (j.state === 'running') this.cancel(j.id, 500);
  }

  private require(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw new HttpError(404, `no job '${id}'`);
    return job;
  }

  private info(j: Job): JobInfo {
    return {
      id: j.id,
      command: j.command,
      args: j.args,
      state: j.state,
      startedAt: j.startedAt,
      endedAt: j.endedAt,
      exitCode: j.exitCode,
      last: j.last,
    };
  }

  private onLine(job: Job, stream: 'stdout' | 'stderr', line: string): void {
    const progress = parseProgressLine(line);
    if (progress) {
      job.last = progress;
      this.emit(job, { type: 'progress', t: Date.now(), progress });
    } else {
      this.emit(job, { type: 'log', t: Date.now(), stream, line: line.slice(0, 2000) });
    }
  }

  private emit(job: Job, e: JobEvent): void {
    job.events.push(e);
    const max = this.opts.maxEvents ?? 5000;
    if (job.events.length > max) {
      // Keep every other progress event of the older half (the curve keeps its shape) and drop old logs.
      const half = job.events.splice(0, max >> 1);
      job.events.unshift(...half.filter((x, i) => x.type === 'progress' && i % 2 === 0));
    }
    for (const l of job.listeners) l(e);
    if (e.type === 'end') job.listeners.clear();
  }
}
