/**
 * The training dashboard: start a job (train, finetune, predict, ink, ingest, read, export) in the backend, follow
 * its progress (bar, rate, ETA, backend), plot loss and held-out PSNR as they stream in, and cancel it.
 *
 *   const dash = new Dashboard(el, api);
 *   await dash.refresh();
 */
import { JOB_COMMANDS, jobRequestFromArgs, type JobCommand } from '../api/index.js';
import type { ApiClient, JobEvent, JobInfo } from './api.js';
import { drawChart, type Series } from './chart.js';
import { h } from './dom.js';

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

export class Dashboard {
  private jobs: JobInfo[] = [];
  private selected?: string;
  private stop?: () => void;
  private loss: [number, number][] = [];
  private psnr: [number, number][] = [];
  private heldOut: [number, number][] = [];
  private backend?: string;
  private logs: string[] = [];
  private readonly list = h('ul', { className: 'jobs' });
  private readonly bar = h('progress', { max: 100, value: 0, className: 'job-progress' });
  private readonly stats = h('div', { className: 'job-stats' }, 'no job selected');
  private readonly lossCanvas = h('canvas', { className: 'chart loss' });
  private readonly psnrCanvas = h('canvas', { className: 'chart psnr' });
  private readonly log = h('pre', { className: 'job-log' });

  constructor(
    readonly root: HTMLElement,
    readonly api: ApiClient,
    readonly onScreenshot: (blob: Blob, name: string) => void,
    /** A job ended (it may have written records: predictions, ink). */
    readonly onJobEnd?: (job: string) => void,
  ) {
    const command = h('select', { className: 'job-command' });
    for (const c of JOB_COMMANDS) command.append(h('option', { value: c }, c));
    const args = h('input', {
      type: 'text',
      className: 'job-args',
      placeholder: 'options, e.g. --model scroll1 --steps 2000',
      size: 40,
    });
    const start = h(
      'button',
      {
        className: 'job-start',
        onclick: async () => {
          try {
            const request = jobRequestFromArgs(command.value as JobCommand, splitArgs(args.value));
            const job = await this.api.startJob(request);
            await this.refresh();
            this.select(job.id);
          } catch (e) {
            this.stats.textContent = (e as Error).message;
          }
        },
      },
      'Start',
    );
    root.append(
      h(
        'aside',
        { className: 'side' },
        h('h3', {}, 'Jobs'),
        h('div', { className: 'layer-row' }, command),
        h('div', { className: 'layer-row' }, args),
        start,
        this.list,
      ),
      h(
        'section',
        { className: 'dashboard' },
        h(
          'div',
          { className: 'layer-row' },
          this.bar,
          h(
            'button',
            {
              className: 'job-cancel',
              onclick: () => this.selected && void this.api.cancelJob(this.selected).then(() => this.refresh()),
            },
            'Cancel',
          ),
          h('button', { className: 'shot', 'data-shot': 'training', onclick: () => void this.screenshot() }, 'PNG'),
        ),
        this.stats,
        h('div', { className: 'charts' }, this.lossCanvas, this.psnrCanvas),
        this.log,
      ),
    );
  }

  async refresh(): Promise<void> {
    this.jobs = await this.api.jobs();
    this.list.replaceChildren(
      ...this.jobs.map((j) =>
        h(
          'li',
          { className: `job ${j.state}${j.id === this.selected ? ' selected' : ''}`, onclick: () => this.select(j.id) },
          `${j.command} ${j.args.join(' ')} — ${j.state}${j.last ? ` ${j.last.percent.toFixed(0)}%` : ''}`,
        ),
      ),
    );
    if (!this.selected && this.jobs.length) this.select(this.jobs.at(-1)!.id);
  }

  select(id: string): void {
    this.stop?.();
    this.selected = id;
    this.loss = [];
    this.psnr = [];
    this.heldOut = [];
    this.backend = undefined;
    this.logs = [];
    this.draw();
    let pending = false;
    this.stop = this.api.followJob(id, (e) => {
      this.onEvent(e);
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

  private onEvent(e: JobEvent): void {
    if (e.type === 'progress') {
      const p = e.progress;
      const x = p.info.step !== undefined ? Number(p.info.step) : p.percent;
      if (typeof p.info.loss === 'number') this.loss.push([x, p.info.loss]);
      if (typeof p.info.psnr === 'number') this.psnr.push([x, p.info.psnr]);
      const held = p.info['held-out'] ?? p.info.heldOutPsnr;
      if (typeof held === 'number') this.heldOut.push([x, held]);
      if (typeof p.info.backend === 'string') this.backend = p.info.backend;
      this.bar.value = p.percent;
      const rate = p.ratePerS !== undefined ? `${p.ratePerS.toFixed(1)} ${p.unit ?? ''}/s` : '';
      const samples = p.info['samples/s'] !== undefined ? ` · ${p.info['samples/s']} samples/s` : '';
      this.stats.textContent = `${p.label}: ${p.percent.toFixed(1)}% · ${rate}${samples} · ETA ${fmtEta(p.etaS)}${this.backend ? ` · backend ${this.backend}` : ''}`;
    } else if (e.type === 'log') {
      // `aunn train` names its backend at the end: "... on wasm × 2 threads, ..."
      const m = / on (\w+) × (\d+) threads?/.exec(e.line);
      if (m) this.backend = `${m[1]} × ${m[2]}`;
      this.logs.push(e.line);
      if (this.logs.length > 400) this.logs.splice(0, this.logs.length - 400);
    } else {
      this.stats.textContent += ` · ${e.state}`;
      void this.refresh();
      if (this.selected) this.onJobEnd?.(this.selected);
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
