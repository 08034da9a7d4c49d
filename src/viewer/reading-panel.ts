/**
 * The Reading tab: the text read off a segment, column by column and line by line, beside the ink it was read
 * from. Letters are drawn by their evidence, as the Leiden convention prints them: seen and sure plain, seen but
 * below the threshold underdotted and coloured by probability, supplied by the language model in [brackets],
 * lost as [.]. Clicking a letter shows its crop of the ink, its probability and the alternatives; it can be
 * corrected (saved into the reading and as a transcription of that line). Export buttons write into the corpus's
 * exports/ folder and list what is there, to open or download.
 *
 *   const panel = new ReadingPanel(el, api, records, { runJob, onStatus });
 *   await panel.choose('scroll1/seg1');
 */
import type { JobInfo, JobRequest } from '../api/index.js';
import type { ApiClient, ExportFile, Plane, RecordInfo } from './api.js';
import { h } from './dom.js';
import { readingFor } from './readings.js';

export interface ReadLetterJson {
  char: string;
  confidence: number;
  source: 'ink' | 'lm' | 'lost';
  bbox?: [number, number, number, number];
  alternatives?: { char: string; p: number }[];
  corrected?: { from: string; confidence: number };
}
export interface ReadingJson {
  segment: string;
  source?: { ink?: string; lm?: string };
  columns: { n: number; lines: { n: number; bbox?: [number, number, number, number]; letters: ReadLetterJson[] }[] }[];
}

const UNDERDOT = '\u0323';

/** How a letter is printed and coloured: its class and its text (Leiden: underdot, [supplied], [.] lost). */
export function letterLook(l: ReadLetterJson, threshold: number): { cls: string; text: string } {
  if (l.source === 'lost') return { cls: 'lost', text: l.char ? `[${l.char}]` : '[.]' };
  if (l.source === 'lm') return { cls: 'lm', text: `[${l.char}]` };
  if (l.corrected) return { cls: 'corrected', text: l.char };
  if (l.confidence < threshold) {
    const band = l.confidence < 0.5 ? 'low' : 'mid';
    return { cls: `uncertain ${band}`, text: l.char + UNDERDOT };
  }
  return { cls: 'sure', text: l.char };
}

/** Colour of a letter's box on the ink: green when sure, through amber to red as its probability falls. */
export function confidenceColour(p: number): string {
  const hue = Math.round(120 * Math.max(0, Math.min(1, p)) ** 2);
  return `hsl(${hue} 90% 55%)`;
}

export function isReading(json: unknown): json is ReadingJson {
  const r = json as ReadingJson;
  return Boolean(r && typeof r === 'object' && typeof r.segment === 'string' && Array.isArray(r.columns));
}

export class ReadingPanel {
  readonly groups: string[];
  group?: string;
  reading?: ReadingJson;
  private image?: Plane;
  private selected?: { column: number; line: number; index: number };
  private threshold = 0.8;
  private readonly side = h('aside', { className: 'side reading-side' });
  private readonly canvas = h('canvas', {
    className: 'reading-ink',
    title: 'the ink read; click a box to see the letter',
  });
  private readonly text = h('div', { className: 'reading-text', lang: 'grc' });
  private readonly detail = h('div', { className: 'letter-detail' });
  private readonly exportsList = h('ul', { className: 'exports' });
  private readonly exportText = h('pre', { className: 'export-view' });
  private readonly info = h('p', { className: 'reading-info' });

  constructor(
    readonly root: HTMLElement,
    readonly api: ApiClient,
    readonly records: RecordInfo[],
    readonly hooks: {
      runJob: (r: JobRequest) => Promise<JobInfo>;
      onStatus: (text: string) => void;
      /** Open the Jobs tab on a prepared read job. */
      prepareRead: (segment: string) => void;
    },
  ) {
    this.groups = [...new Set(records.filter((r) => r.modality === 'segment-layers').map((r) => r.group ?? r.name))];
    this.canvas.addEventListener('click', (e) => this.clickInk(e));
    root.append(
      this.side,
      h(
        'section',
        { className: 'reading-main' },
        this.info,
        h('div', { className: 'reading-columns' }, h('div', { className: 'reading-image' }, this.canvas), this.text),
        this.detail,
      ),
    );
  }

  async choose(group: string): Promise<void> {
    if (!this.groups.includes(group)) return;
    this.group = group;
    this.selected = undefined;
    this.reading = undefined;
    this.image = undefined;
    const layers = this.records.find((r) => r.modality === 'segment-layers' && (r.group ?? r.name) === group)!;
    const found = await readingFor(await this.api.readings(), (f) => this.api.fileJson<unknown>(f), group, layers.name);
    if (this.group !== group) return;
    this.reading = found && isReading(found.json) ? found.json : undefined;
    this.image = await this.inkImage(group, layers).catch(() => undefined);
    if (this.group !== group) return;
    this.root.dataset.segment = group;
    this.buildSide();
    this.renderText();
    this.drawInk();
    this.detail.replaceChildren();
    await this.refreshExports();
  }

  /** The newest ink prediction of the segment, else its labels, else the surface layer. */
  private async inkImage(group: string, layers: RecordInfo): Promise<Plane> {
    const of = (r: RecordInfo) => r.group === group || r.prediction?.of === layers.name;
    const ink = this.records.filter((r) => of(r) && r.prediction?.kind === 'ink').at(-1);
    const labels = this.records.find((r) => of(r) && r.modality === 'ink-labels');
    if (ink ?? labels) return this.api.slice((ink ?? labels)!.id, 'z', 0, 0);
    const mid = Math.floor(layers.levelShapes[0]![0] / 2);
    return this.api.slice(layers.id, 'z', mid, 0);
  }

  private buildSide(): void {
    const select = h('select', {
      className: 'reading-segment',
      title: 'the segment whose reading is shown',
      onchange: (e: Event) => void this.choose((e.target as HTMLSelectElement).value),
    });
    for (const g of this.groups) select.append(h('option', { value: g, selected: g === this.group }, g));
    const thr = h('input', {
      type: 'range',
      min: '0.3',
      max: '0.99',
      step: '0.01',
      value: String(this.threshold),
      className: 'reading-threshold',
      title: 'letters read with a lower probability are underdotted (uncertain), as in the Leiden export',
      oninput: (e: Event) => {
        this.threshold = Number((e.target as HTMLInputElement).value);
        thrLabel.textContent = this.threshold.toFixed(2);
        this.renderText();
        this.drawInk();
      },
    });
    const thrLabel = h('b', {}, this.threshold.toFixed(2));
    const exportButton = (label: string, format: string, tip: string) =>
      h('button', { className: `export-${format}`, title: tip, onclick: () => void this.exportAs(format) }, label);
    this.side.replaceChildren(
      h('h3', {}, 'Reading'),
      select,
      h('div', { className: 'layer-row' }, 'uncertain below ', thr, ' ', thrLabel),
      h(
        'ul',
        { className: 'legend' },
        h('li', {}, h('span', { className: 'letter sure' }, 'Α'), ' read, sure'),
        h('li', {}, h('span', { className: 'letter uncertain mid' }, `Α${UNDERDOT}`), ' read, uncertain'),
        h('li', {}, h('span', { className: 'letter uncertain low' }, `Α${UNDERDOT}`), ' read, below 0.5'),
        h('li', {}, h('span', { className: 'letter lm' }, '[Α]'), ' supplied by the language model'),
        h('li', {}, h('span', { className: 'letter lost' }, '[.]'), ' lost'),
        h('li', {}, h('span', { className: 'letter corrected' }, 'Α'), ' corrected by you'),
      ),
      h(
        'button',
        {
          className: 'read-again',
          title: 'open the Jobs tab with a read job for this segment (the known text is kept)',
          onclick: () => this.group && this.hooks.prepareRead(this.group),
        },
        this.reading ? 'Read again…' : 'Read this segment…',
      ),
      h('h3', {}, 'Export'),
      h(
        'div',
        { className: 'layer-row' },
        exportButton('Text', 'txt', 'plain text, column by column (lost letters as ?)'),
        exportButton('Leiden', 'leiden', 'Leiden-convention text: underdots, [supplied], [.N] lost'),
        exportButton('EpiDoc', 'epidoc', 'EpiDoc TEI XML'),
        exportButton('Pictures', 'png', 'one PNG per column: ink, letters read, scale bar'),
      ),
      this.exportsList,
      this.exportText,
    );
  }

  private renderText(): void {
    const r = this.reading;
    if (!r) {
      this.info.textContent = `${this.group ?? 'no segment'}: not read yet. Predict ink, then read it (Jobs tab, or the button on the left).`;
      this.text.replaceChildren();
      this.root.dataset.letters = '0';
      return;
    }
    let n = 0;
    let below = 0;
    const cols = r.columns.map((c) =>
      h(
        'div',
        { className: 'reading-column' },
        h('h4', {}, `Col. ${c.n}`),
        ...c.lines.map((ln) =>
          h(
            'div',
            { className: 'reading-line' },
            h('span', { className: 'line-n' }, String(ln.n)),
            ...ln.letters.map((l, index) => {
              const look = letterLook(l, this.threshold);
              n++;
              if (l.source === 'ink' && l.confidence < this.threshold) below++;
              const sel = this.selected;
              const isSel = sel?.column === c.n && sel.line === ln.n && sel.index === index;
              return h(
                'span',
                {
                  className: `letter ${look.cls}${isSel ? ' selected' : ''}`,
                  title: this.letterTip(l),
                  'data-p': l.confidence.toFixed(3),
                  onclick: () => this.select(c.n, ln.n, index),
                },
                look.text,
              );
            }),
          ),
        ),
      ),
    );
    this.text.replaceChildren(...cols);
    this.root.dataset.letters = String(n);
    this.info.textContent = `${r.segment}: ${n} letters in ${r.columns.length} column(s); ${below} read below ${this.threshold.toFixed(2)}${r.source?.lm ? ` · language model: ${r.source.lm}` : ''}${r.source?.ink ? ` · ink: ${r.source.ink}` : ''}`;
  }

  private letterTip(l: ReadLetterJson): string {
    if (l.source === 'lost') return 'lost: the ink gives no evidence';
    const alts = (l.alternatives ?? [])
      .slice(0, 3)
      .map((a) => `${a.char} ${a.p.toFixed(2)}`)
      .join(', ');
    const how = l.source === 'lm' ? 'supplied by the language model' : 'read in the ink';
    return `${l.char} p=${l.confidence.toFixed(2)} (${how})${alts ? ` · else ${alts}` : ''}`;
  }

  private letterAt(column: number, line: number, index: number): ReadLetterJson | undefined {
    return this.reading?.columns.find((c) => c.n === column)?.lines.find((l) => l.n === line)?.letters[index];
  }

  select(column: number, line: number, index: number): void {
    this.selected = { column, line, index };
    this.renderText();
    this.drawInk();
    const l = this.letterAt(column, line, index);
    if (!l) return;
    const crop = h('canvas', {
      className: 'letter-crop',
      width: 96,
      height: 96,
      title: 'the ink where the letter was read',
    });
    this.drawCrop(crop, l.bbox);
    const alts = h(
      'ol',
      { className: 'alternatives' },
      h('li', {}, `${l.char || '?'} ${l.confidence.toFixed(3)}`),
      ...(l.alternatives ?? []).map((a) => h('li', {}, `${a.char} ${a.p.toFixed(3)}`)),
    );
    const edit = h('input', {
      type: 'text',
      className: 'letter-edit',
      maxLength: 1,
      value: l.char,
      lang: 'grc',
      title: 'type the letter you read here (Greek capital) and save',
    });
    const save = h(
      'button',
      {
        className: 'letter-save primary',
        title: 'save: the letter becomes certain, and the line is kept as known text for the next glyph learning',
        onclick: () => void this.correct(column, line, index, edit.value),
      },
      'Save correction',
    );
    this.detail.replaceChildren(
      h(
        'div',
        { className: 'detail-row' },
        crop,
        h(
          'div',
          {},
          h('b', { className: 'detail-title' }, `Col. ${column}, line ${line}, letter ${index + 1}`),
          h('div', {}, this.letterTip(l)),
          l.corrected
            ? h(
                'div',
                {},
                `corrected; the reader had ${l.corrected.from || 'nothing'} (p=${l.corrected.confidence.toFixed(2)})`,
              )
            : '',
          alts,
          h('div', { className: 'layer-row' }, edit, save),
        ),
      ),
    );
  }

  private async correct(column: number, line: number, index: number, char: string): Promise<void> {
    if (!this.group) return;
    try {
      this.reading = await this.api.correctLetter<ReadingJson>(this.reading!.segment, { column, line, index, char });
      this.select(column, line, index);
      this.hooks.onStatus(`saved: column ${column} line ${line} letter ${index + 1} is ${char.toUpperCase()}`);
    } catch (e) {
      this.hooks.onStatus(`correction not saved: ${(e as Error).message}`);
    }
  }

  private scale(): number {
    const img = this.image;
    if (!img) return 1;
    const width = Math.max(200, Math.min(900, this.root.clientWidth * 0.5 || 600));
    return width / img.cols;
  }

  private drawInk(): void {
    const img = this.image;
    const ctx = this.canvas.getContext('2d');
    if (!img || !ctx) return;
    const s = this.scale();
    this.canvas.width = Math.round(img.cols * s);
    this.canvas.height = Math.round(img.rows * s);
    const bitmap = new ImageData(img.cols, img.rows);
    for (let i = 0; i < img.data.length; i++) {
      const v = img.data[i]!;
      bitmap.data.set([v, v, v, 255], i * 4);
    }
    const off = new OffscreenCanvas(img.cols, img.rows);
    off.getContext('2d')!.putImageData(bitmap, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, 0, 0, this.canvas.width, this.canvas.height);
    for (const c of this.reading?.columns ?? [])
      for (const ln of c.lines)
        ln.letters.forEach((l, index) => {
          if (!l.bbox) return;
          const [x0, y0, x1, y1] = l.bbox;
          const sel = this.selected;
          ctx.strokeStyle =
            l.source === 'lm' ? 'rgb(90,170,255)' : l.corrected ? 'rgb(200,120,255)' : confidenceColour(l.confidence);
          ctx.lineWidth = sel?.column === c.n && sel.line === ln.n && sel.index === index ? 3 : 1;
          ctx.strokeRect(x0 * s, y0 * s, (x1 - x0) * s, (y1 - y0) * s);
        });
    this.canvas.dataset.drawn = String(Date.now());
  }

  private drawCrop(canvas: HTMLCanvasElement, bbox?: [number, number, number, number]): void {
    const img = this.image;
    const ctx = canvas.getContext('2d');
    if (!img || !ctx || !bbox) return;
    const [x0, y0, x1, y1] = bbox;
    const pad = Math.max(2, Math.round((y1 - y0) * 0.25));
    const cx0 = Math.max(0, x0 - pad);
    const cy0 = Math.max(0, y0 - pad);
    const cw = Math.min(img.cols, x1 + pad) - cx0;
    const ch = Math.min(img.rows, y1 + pad) - cy0;
    if (cw <= 0 || ch <= 0) return;
    const bitmap = new ImageData(cw, ch);
    for (let y = 0; y < ch; y++)
      for (let x = 0; x < cw; x++) {
        const v = img.data[(cy0 + y) * img.cols + cx0 + x]!;
        bitmap.data.set([v, v, v, 255], (y * cw + x) * 4);
      }
    const off = new OffscreenCanvas(cw, ch);
    off.getContext('2d')!.putImageData(bitmap, 0, 0);
    const k = Math.min(canvas.width / cw, canvas.height / ch);
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(off, 0, 0, cw * k, ch * k);
  }

  private clickInk(e: MouseEvent): void {
    const s = this.scale();
    const rect = this.canvas.getBoundingClientRect();
    const x = ((e.clientX - rect.left) * (this.canvas.width / rect.width)) / s;
    const y = ((e.clientY - rect.top) * (this.canvas.height / rect.height)) / s;
    for (const c of this.reading?.columns ?? [])
      for (const ln of c.lines)
        for (let i = 0; i < ln.letters.length; i++) {
          const b = ln.letters[i]!.bbox;
          if (b && x >= b[0] && x < b[2] && y >= b[1] && y < b[3]) return this.select(c.n, ln.n, i);
        }
  }

  private async exportAs(format: string): Promise<void> {
    if (!this.group || !this.reading) return this.hooks.onStatus('nothing to export: read the segment first');
    this.hooks.onStatus(`exporting ${format}…`);
    const job = await this.hooks.runJob({ command: 'export', options: { segment: this.group, format } });
    const end = await this.api.waitForJob(job.id);
    this.hooks.onStatus(
      end.state === 'done' ? `exported ${format} into exports/` : `export ${end.state}: ${end.error ?? ''}`,
    );
    await this.refreshExports();
  }

  async refreshExports(): Promise<void> {
    const stem = this.group?.split('/').join('_') ?? '';
    const files = (await this.api.exports().catch(() => [] as ExportFile[])).filter((f) =>
      f.path.split('/').pop()!.startsWith(stem),
    );
    this.exportsList.replaceChildren(
      ...files.map((f) => {
        const name = f.path.split('/').pop()!;
        const viewable = /\.(txt|xml)$/.test(name);
        return h(
          'li',
          { className: 'export-file', 'data-path': f.path },
          viewable
            ? h(
                'button',
                {
                  className: 'export-open',
                  title: `show ${name} here`,
                  onclick: async () => {
                    this.exportText.textContent = await this.api.fileText(f.path);
                    this.exportText.dataset.path = f.path;
                  },
                },
                name,
              )
            : h('a', { href: this.api.fileUrl(f.path), target: '_blank', title: `open ${name}` }, name),
          ' ',
          h(
            'a',
            {
              href: this.api.fileUrl(f.path, true),
              download: name,
              className: 'export-download',
              title: `download ${name}`,
            },
            '⤓',
          ),
        );
      }),
    );
  }
}
