/**
 * The Jobs tab: a form for each job (src/viewer/job-form.ts: ingest, train, finetune, predict, ink, read, export,
 * condition) with a command line box for advanced use; the list of jobs, one status each; the selected job's
 * progress (bar, rate with its unit, ETA, backend), its loss and held-out PSNR as they stream in, its log, and the
 * one-line reason when it failed. Starting a job selects it.
 *
 *   const dash = new Dashboard(el, api, context, saveShot, onJobEnd);
 *   await dash.refresh();
 *   const job = await dash.run({ command: 'train', options: { model: 'main', steps: 300 } });
 */
import { JOB_COMMANDS, jobRequestFromArgs, type JobCommand, type JobRequest } from '../api/index.js';
import type { ApiClient, JobEvent, JobInfo } from './api.js';
import { drawChart, type Series } from './chart.js';
import { h } from './dom.js';
import { COMMAND_TITLES, JobForm, type FormContext } from './job-form.js';
/** Split an argument line like a shell would for plain words and "quoted strings". */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  // A word is a run of plain characters and quoted parts: --x='a b' is one argument, --x=a b.
  const word = /(?:"[^"]*"|'[^']*'|[^\s"']+)+/g;
  for (const m of line.match(word) ?? [])
    out.push(m.replace(/"([^"]*)"|'([^']*)'/g, (_q, d: string | undefined, s: string | undefined) => d ?? s ?? ''));
  return out;
}

function fmtEta(s?: number): string {
  if (s === undefined || !Number.isFinite(s)) return '?';
  if (s < 90) return `${s.toFixed(0)} s`;
  if (s < 5400) return `${(s / 60).toFixed(0)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** "12.3 samples/s": a rate with the unit its progress line named. */
export function formatRate(rate: number | undefined, unit: string | undefined): string {
  if (rate === undefined || !Number.isFinite(rate)) return '';
  const digits = rate >= 100 ? 0 : rate >= 10 ? 1 : 2;
  return unit ? `${rate.toFixed(digits)} ${unit}/s` : `${rate.toFixed(digits)}/s`;
}

/** One line for a job in the list: what it does, on what, and where it stands. */
export function jobTitle(j: Pick<JobInfo, 'command' | 'request' | 'state' | 'last'>): string {
  const o = j.request?.options ?? {};
  const what =
    j.command === 'ingest'
      ? String(j.request?.input ?? '')
          .split('/')
          .filter(Boolean)
          .pop()
      : [o.model, o.segment, o.record, o.steps !== undefined ? `${o.steps} steps` : undefined]
          .filter((x) => x !== undefined)
          .join(' · ');
  const pct = j.state === 'running' && j.last ? ` ${j.last.percent.toFixed(0)}%` : '';
  return `${COMMAND_TITLES[j.command as JobCommand] ?? j.command}${what ? ` — ${what}` : ''} · ${j.state}${pct}`;
}

export class Dashboard {
  private jobs: JobInfo[] = [];
  private selected?: string;
  private stop?: () => void;
  private loss: [number, number][] = [];
  private psnr: [number, number][] = [];
  private heldOut: [number, number][] = [];
  private backend?: string;
  private logs: string[] = [];
  readonly form: JobForm;
  private readonly command = h('select', {
    className: 'job-command',
    title: 'which job to run',
    onchange: () => this.form.setCommand(this.command.value as JobCommand),
  });
  private readonly list = h('ul', { className: 'jobs' });
  private readonly title = h('h3', { className: 'job-title' }, 'no job selected');
  private readonly bar = h('progress', {
    max: 100,
    value: 0,
    className: 'job-progress',
    title: 'progress of the selected job',
  });
  private readonly stats = h('div', { className: 'job-stats' }, 'Start a job on the left; it shows here.');
  private readonly error = h('div', { className: 'job-error' });
  private readonly formError = h('div', { className: 'form-error' });
  private readonly lossCanvas = h('canvas', { className: 'chart loss' });
  private readonly psnrCanvas = h('canvas', { className: 'chart psnr' });
  private readonly log = h('pre', { className: 'job-log' });

  constructor(
    readonly root: HTMLElement,
    readonly api: ApiClient,
    context: FormContext,
    readonly onScreenshot: (blob: Blob, name: string) => void,
    /** A job ended (it may have written records: predictions, ink, readings). */
    readonly onJobEnd?: (job: JobInfo) => void,
  ) {
    this.form = new JobForm(api, context);
    for (const c of JOB_COMMANDS) this.command.append(h('option', { value: c }, COMMAND_TITLES[c]));
    this.command.value = context.segments.length || context.records.length ? 'train' : 'ingest';
    this.form.setCommand(this.command.value as JobCommand);
    const args = h('input', {
      type: 'text',
      className: 'job-args',
      placeholder: '--model main --steps 2000',
      title: "the chosen job's options as on the command line (aunn COMMAND --help lists them)",
      size: 40,
    });
    const start = h(
      'button',
      {
        className: 'job-start primary',
        title: 'check the fields and start the job',
        onclick: async () => {
          try {
            await this.run(await this.form.request());
          } catch (e) {
            this.formError.textContent = (e as Error).message;
          }
        },
      },
      'Start',
    );
    const startRaw = h(
      'button',
      {
        className: 'job-start-raw',
        title: 'start the chosen job with these command-line options',
        onclick: async () => {
          try {
            await this.run(jobRequestFromArgs(this.command.value as JobCommand, splitArgs(args.value)));
          } catch (e) {
            this.formError.textContent = (e as Error).message;
          }
        },
      },
      'Start with these options',
    );
    root.append(
      h(
        'aside',
        { className: 'side jobs-side' },
        h('h3', {}, 'New job'),
        h('div', { className: 'layer-row' }, this.command),
        this.form.root,
        start,
        this.formError,
        h(
          'details',
          { className: 'advanced' },
          h('summary', { title: 'type the options as on the command line' }, 'Command line (advanced)'),
          args,
          startRaw,
        ),
        h('h3', {}, 'Jobs'),
        this.list,
      ),
      h(
        'section',
        { className: 'dashboard' },
        this.title,
        h(
          'div',
          { className: 'layer-row' },
          this.bar,
          h(
            'button',
            {
              className: 'job-cancel',
              title: 'stop the selected job (a queued one never starts)',
              onclick: () => this.selected && void this.api.cancelJob(this.selected).then(() => this.refresh()),
            },
            'Cancel',
          ),
          h(
            'button',
            {
              className: 'shot',
              'data-shot': 'training',
              title: 'save the charts as PNG',
              onclick: () => void this.screenshot(),
            },
            'PNG',
          ),
        ),
        this.stats,
        this.error,
        h('div', { className: 'charts' }, this.lossCanvas, this.psnrCanvas),
        this.log,
      ),
    );
  }

  setContext(context: FormContext): void {
    this.form.context = context;
  }

  /** Pick a command and fill its form (e.g. from a button elsewhere in the app). */
  prepare(command: JobCommand, values: Record<string, string | number | boolean> = {}): void {
    this.command.value = command;
    this.form.setCommand(command, values);
  }

  /** Start a typed job and follow it. */
  async run(request: JobRequest): Promise<JobInfo> {
    this.formError.textContent = '';
    const job = await this.api.startJob(request);
    this.select(job.id, job);
    await this.refresh();
    return job;
  }

  async refresh(): Promise<void> {
    this.jobs = await this.api.jobs();
    this.list.replaceChildren(
      ...this.jobs
        .slice()
        .reverse()
        .map((j) =>
          h(
            'li',
            {
              className: `job ${j.state}${j.id === this.selected ? ' selected' : ''}`,
              'data-job': j.id,
              title: j.error ?? `${j.command} ${j.args.join(' ')}`,
              onclick: () => this.select(j.id, j),
            },
            jobTitle(j),
          ),
        ),
    );
    const sel = this.jobs.find((j) => j.id === this.selected);
    if (sel) this.showState(sel);
    else if (!this.selected && this.jobs.length) this.select(this.jobs.at(-1)!.id, this.jobs.at(-1));
  }

  /** Follow job `id`: everything shown is its own (nothing carries over from the job shown before). */
  select(id: string, info?: JobInfo): void {
    this.stop?.();
    this.selected = id;
    this.loss = [];
    this.psnr = [];
    this.heldOut = [];
    this.backend = undefined;
    this.logs = [];
    this.bar.value = 0;
    this.stats.textContent = '';
    this.error.textContent = '';
    if (info) this.showState(info);
    for (const li of this.list.querySelectorAll<HTMLElement>('li.job'))
      li.classList.toggle('selected', li.dataset.job === id);
    this.draw();
    let pending = false;
    this.stop = this.api.followJob(id, (e) => {
      if (this.selected !== id) return;
      this.onEvent(id, e);
      // Batch redraws into the next frame: a burst of events costs one draw.
      if (!pending) {
        pending = true;
        requestAnimationFrame(() => {
          pending = false;
          this.draw();
        });
      }
    });
  }

  private showState(j: JobInfo): void {
    this.title.textContent = jobTitle(j);
    this.root.dataset.jobState = j.state;
    if (j.state === 'queued') this.stats.textContent = 'waiting for a free slot (two jobs run at once)';
    if (j.state === 'done') this.bar.value = 100;
    this.error.textContent = j.state === 'failed' ? (j.error ?? 'failed') : '';
  }

  private onEvent(id: string, e: JobEvent): void {
    if (e.type === 'progress') {
      const p = e.progress;
      const x = p.info.step !== undefined ? Number(p.info.step) : p.percent;
      if (typeof p.info.loss === 'number') this.loss.push([x, p.info.loss]);
      if (typeof p.info.psnr === 'number') this.psnr.push([x, p.info.psnr]);
      const held = p.info['held-out'] ?? p.info.heldOutPsnr;
      if (typeof held === 'number') this.heldOut.push([x, held]);
      if (typeof p.info.backend === 'string') this.backend = p.info.backend;
      this.bar.value = p.percent;
      const rate = formatRate(p.ratePerS, p.unit);
      const samples = p.info['samples/s'] !== undefined ? ` · ${p.info['samples/s']} samples/s` : '';
      this.stats.textContent = `${p.label}: ${p.percent.toFixed(1)}%${rate ? ` · ${rate}` : ''}${samples} · ETA ${fmtEta(p.etaS)}${this.backend ? ` · backend ${this.backend}` : ''}`;
    } else if (e.type === 'log') {
      // `aunn train` names its backend at the end: "... on wasm × 2 threads, ..."
      const m = / on (\w+) × (\d+) threads?/.exec(e.line);
      if (m) this.backend = `${m[1]} × ${m[2]}`;
      this.logs.push(e.line);
      if (this.logs.length > 400) this.logs.splice(0, this.logs.length - 400);
    } else {
      const job = this.jobs.find((j) => j.id === id);
      const ended = {
        ...(job ?? ({ id, command: '', args: [], startedAt: 0 } as unknown as JobInfo)),
        state: e.state,
        error: e.error,
      };
      this.showState(ended);
      this.stats.textContent =
        e.state === 'done' ? `done${this.stats.textContent ? ` · last: ${this.stats.textContent}` : ''}` : e.state;
      void this.refresh().then(() => this.onJobEnd?.(this.jobs.find((j) => j.id === id) ?? ended));
    }
  }
  private draw(): void {
    const series = (label: string, color: string, points: [number, number][]): Series[] => [{ label, color, points }];
    drawChart(this.lossCanvas, series('loss', '#ff9a3c', this.loss), { logY: true, title: 'training loss' });
    drawChart(
      this.psnrCanvas,
      [...series('train', '#4fd1ff', this.psnr), ...series('held-out', '#b6ff6a', this.heldOut)],
      { title: 'PSNR (dB): train, held-out' },
    );
    this.log.textContent = this.logs.slice(-40).join('\n');
  }

  async screenshot(): Promise<void> {
    const out = document.createElement('canvas');
    out.width = this.lossCanvas.width + this.psnrCanvas.width;
    out.height = Math.max(this.lossCanvas.height, this.psnrCanvas.height);
    const ctx = out.getContext('2d')!;
    ctx.drawImage(this.lossCanvas, 0, 0);
    ctx.drawImage(this.psnrCanvas, this.lossCanvas.width, 0);
    out.toBlob((b) => b && this.onScreenshot(b, 'aunn-training'), 'image/png');
  }
}
