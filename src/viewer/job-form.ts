/**
 * A form for one job command, drawn from the typed job table (src/api/job-spec.ts): each option a field of its kind
 * (numbers with their range and unit, choices as menus, segments, records and models offered by name), the common
 * ones first and the rest under "More options", checked before the request is sent. A read job also takes the known
 * text of the labelled region, typed here and saved in the corpus.
 *
 *   const form = new JobForm(api, context);
 *   el.append(form.root);
 *   form.setCommand('train');
 *   const request = await form.request();   // { command: 'train', options: { model: 'main', steps: 200 } }, or throws
 */
import { JOB_SPECS, type JobCommand, type JobOptionSpec, type JobOptionValue, type JobRequest } from '../api/index.js';
import type { ApiClient } from './api.js';
import { h } from './dom.js';

/** What the corpus offers by name, for the menus. */
export interface FormContext {
  segments: string[];
  /** Segments with ink labels (glyphs are learned there). */
  labelledSegments: string[];
  records: string[];
  scrolls: string[];
  models: string[];
}

export const COMMAND_TITLES: Record<JobCommand, string> = {
  ingest: 'Add data',
  train: 'Train the AUNN',
  finetune: 'Finetune on a new scroll',
  predict: 'Reconstruct a record',
  ink: 'Predict ink',
  read: 'Read the text',
  export: 'Export the reading',
  condition: 'Condition on the language model',
};

/** The options shown first, in this order; the rest go under "More options". */
const MAIN: Record<JobCommand, string[]> = {
  ingest: ['as', 'scroll'],
  train: ['model', 'steps'],
  finetune: ['model', 'scroll', 'steps'],
  predict: ['model', 'record'],
  ink: ['segment', 'steps', 'trainLabels'],
  read: ['segment', 'glyphsFrom', 'correctedLines', 'lm', 'beam'],
  export: ['segment', 'format'],
  condition: ['model', 'record', 'steps'],
};

/** Defaults a first run should have: budgets in steps, small enough for a laptop, a model called 'main'. */
export const FORM_DEFAULTS: Partial<Record<JobCommand, Record<string, JobOptionValue>>> = {
  train: { model: 'main', steps: 300 },
  finetune: { model: 'main', steps: 300 },
  predict: { model: 'main' },
  ink: { steps: 150 },
  read: { lm: 'decode', beam: 200, correctedLines: true },
  export: { format: 'txt,leiden,epidoc' },
  condition: { model: 'main', steps: 20 },
};

export type FieldCheck = { value?: JobOptionValue; error?: string };

/** Check what the user typed for one option; an empty field is "not given" (`value` undefined). */
export function checkField(key: string, spec: JobOptionSpec, raw: string | boolean): FieldCheck {
  if (spec.kind === 'flag') return { value: raw === true ? true : undefined };
  const text = String(raw).trim();
  if (text === '') return spec.required ? { error: `${key} is needed: ${spec.help}` } : {};
  switch (spec.kind) {
    case 'int':
    case 'number': {
      const n = Number(text);
      if (!Number.isFinite(n)) return { error: `${key}: '${text}' is not a number` };
      if (spec.kind === 'int' && !Number.isInteger(n)) return { error: `${key}: '${text}' is not a whole number` };
      const unit = spec.unit ? ` ${spec.unit}` : '';
      if (spec.min !== undefined && n < spec.min) return { error: `${key}: at least ${spec.min}${unit}` };
      if (spec.max !== undefined && n > spec.max) return { error: `${key}: at most ${spec.max}${unit}` };
      return { value: n };
    }
    case 'enum':
      return spec.values!.includes(text)
        ? { value: text }
        : { error: `${key}: '${text}' is not one of ${spec.values!.join(', ')}` };
    case 'list': {
      const parts = text.split(',').map((p) => p.trim());
      const bad = parts.filter((p) => !spec.values!.includes(p));
      return bad.length
        ? { error: `${key}: ${bad.join(', ')} not one of ${spec.values!.join(', ')}` }
        : { value: text };
    }
    case 'region':
      return /^\d+:\d+,\d+:\d+,\d+:\d+$/.test(text) ? { value: text } : { error: `${key}: a box z0:z1,y0:y1,x0:x1` };
    case 'model':
    case 'export-folder':
      return /^[\w.-]+(\/[\w.-]+)*$/.test(text) && !text.split('/').includes('..')
        ? { value: text }
        : { error: `${key}: a name (letters, digits, . _ -), not a path` };
    default:
      return { value: text };
  }
}

interface Field {
  key: string;
  spec: JobOptionSpec;
  read: () => string | boolean;
  error: HTMLElement;
}

export class JobForm {
  readonly root = h('form', { className: 'job-form', onsubmit: (e: Event) => e.preventDefault() });
  command: JobCommand = 'train';
  /** The ingest source (a path in incoming/, a picked file, or an https URL). */
  readonly input = h('input', {
    type: 'text',
    className: 'field-input',
    name: 'input',
    placeholder: 'https://…/scroll.zarr or incoming/…',
    title: 'what to add: an https OME-Zarr URL, or a path under the corpus’s incoming/ folder (Add data uploads there)',
  });
  readonly transcription = h('textarea', {
    className: 'transcription',
    name: 'transcription',
    rows: 6,
    placeholder: 'ΚΑΙΤΟΝ…\n(one papyrus line per line; a blank line between columns)',
    title:
      'the known text of the labelled region, one line of the papyrus per line, a blank line between columns; saved in the corpus (transcriptions/) and used to learn the glyphs',
  });
  private fields: Field[] = [];
  private loadedFor?: string;

  constructor(
    readonly api: ApiClient,
    public context: FormContext,
  ) {}

  setCommand(command: JobCommand, values: Record<string, JobOptionValue> = {}): void {
    this.command = command;
    const spec = JOB_SPECS[command];
    const defaults: Record<string, JobOptionValue> = { ...FORM_DEFAULTS[command], ...this.contextDefaults(command) };
    Object.assign(defaults, values);
    this.fields = [];
    const field = (key: string) => this.field(key, spec.options[key]!, defaults[key]);
    const main = MAIN[command].filter((k) => k in spec.options).map(field);
    const more = Object.keys(spec.options)
      .filter((k) => !MAIN[command].includes(k) && !(command === 'read' && k === 'transcription'))
      .map(field);
    const parts: HTMLElement[] = [h('p', { className: 'form-help' }, spec.help)];
    if (spec.input) parts.push(h('label', { className: 'field' }, h('span', {}, 'source'), this.input));
    parts.push(...main);
    if (command === 'read') {
      parts.push(
        h('label', { className: 'field wide' }, h('span', {}, 'known text of the labelled region'), this.transcription),
      );
      void this.loadTranscription();
    }
    if (more.length) parts.push(h('details', { className: 'more' }, h('summary', {}, 'More options'), ...more));
    this.root.replaceChildren(...parts);
    this.root.dataset.command = command;
  }

  /** Segment and record menus start on the first one the corpus has. */
  private contextDefaults(command: JobCommand): Record<string, JobOptionValue> {
    const out: Record<string, JobOptionValue> = {};
    const seg = this.context.segments[0];
    if (seg && 'segment' in JOB_SPECS[command].options) out.segment = seg;
    if (command === 'read' && seg && !this.context.labelledSegments.includes(seg) && this.context.labelledSegments[0])
      out.glyphsFrom = this.context.labelledSegments[0];
    if (command === 'finetune' && this.context.scrolls.length > 1) out.scroll = this.context.scrolls.at(-1)!;
    return out;
  }

  private field(key: string, spec: JobOptionSpec, initial: JobOptionValue | undefined): HTMLElement {
    const error = h('small', { className: 'field-error' });
    const tip = `${spec.help}${spec.unit ? ` (${spec.unit})` : ''}${spec.min !== undefined ? `; ${spec.min}–${spec.max}` : ''}`;
    let control: HTMLElement;
    let read: () => string | boolean;
    const names = this.namesFor(key, spec);
    if (spec.kind === 'flag') {
      const box = h('input', { type: 'checkbox', name: key, checked: initial === true, title: tip });
      control = box;
      read = () => box.checked;
    } else if (spec.kind === 'enum' || (names && spec.kind === 'name' && names.length)) {
      const sel = h('select', { name: key, title: tip });
      if (!spec.required) sel.append(h('option', { value: '' }, '(default)'));
      for (const v of spec.kind === 'enum' ? spec.values! : names!)
        sel.append(h('option', { value: v, selected: String(initial ?? '') === v }, v));
      control = sel;
      read = () => sel.value;
      if (key === 'segment') sel.addEventListener('change', () => void this.loadTranscription());
    } else if (spec.kind === 'list') {
      const chosen = new Set(String(initial ?? '').split(','));
      const boxes = spec.values!.map((v) =>
        h('input', { type: 'checkbox', name: `${key}-${v}`, value: v, checked: chosen.has(v), title: `${tip}: ${v}` }),
      );
      control = h('span', { className: 'choices' }, ...boxes.map((b) => h('label', {}, b, ` ${b.value}`)));
      read = () =>
        boxes
          .filter((b) => b.checked)
          .map((b) => b.value)
          .join(',');
    } else {
      const numeric = spec.kind === 'int' || spec.kind === 'number';
      const input = h('input', {
        type: numeric ? 'number' : 'text',
        name: key,
        value: initial === undefined ? '' : String(initial),
        title: tip,
        placeholder: numeric ? '(default)' : spec.kind === 'region' ? 'z0:z1,y0:y1,x0:x1' : '(default)',
      });
      if (numeric) {
        if (spec.min !== undefined) input.min = String(spec.min);
        if (spec.max !== undefined) input.max = String(spec.max);
        input.step = spec.kind === 'int' ? '1' : 'any';
      }
      if (names?.length) {
        const list = h('datalist', { id: `list-${key}` }, ...names.map((n) => h('option', { value: n })));
        input.setAttribute('list', list.id);
        control = h('span', {}, input, list);
      } else control = input;
      read = () => input.value;
    }
    this.fields.push({ key, spec, read, error });
    return h(
      'label',
      { className: 'field', title: tip },
      h('span', {}, `${key}${spec.required ? ' *' : ''}`),
      control,
      spec.unit ? h('i', { className: 'unit' }, spec.unit) : '',
      error,
    );
  }

  private namesFor(key: string, spec: JobOptionSpec): string[] | undefined {
    const c = this.context;
    if (key === 'segment') return c.segments;
    if (key === 'glyphsFrom' || key === 'trainLabels') return c.labelledSegments;
    if (key === 'record' || key === 'records') return c.records;
    if (key === 'scroll') return c.scrolls;
    if (spec.kind === 'model') return c.models;
    return undefined;
  }

  private segmentValue(): string | undefined {
    return this.fields.find((f) => f.key === 'segment')?.read() as string | undefined;
  }

  private async loadTranscription(): Promise<void> {
    const seg = this.segmentValue();
    if (!seg || seg === this.loadedFor) return;
    this.loadedFor = seg;
    // A segment read with another's glyphs needs that segment's text.
    const glyphs = this.fields.find((f) => f.key === 'glyphsFrom')?.read();
    const text = await this.api.transcription(typeof glyphs === 'string' && glyphs ? glyphs : seg).catch(() => '');
    if (this.loadedFor === seg && text && !this.transcription.value.trim()) this.transcription.value = text;
  }

  /** The checked request (a read job's known text saved first); throws an Error naming every field that is wrong. */
  async request(): Promise<JobRequest> {
    const options: Record<string, JobOptionValue> = {};
    const errors: string[] = [];
    for (const f of this.fields) {
      const r = checkField(f.key, f.spec, f.read());
      f.error.textContent = r.error ?? '';
      if (r.error) errors.push(r.error);
      else if (r.value !== undefined) options[f.key] = r.value;
    }
    const request: JobRequest = { command: this.command, options };
    if (JOB_SPECS[this.command].input) {
      const src = this.input.value.trim();
      if (!src) errors.push('source: choose what to add (Add data), or give an https URL');
      request.input = src;
    }
    const text = this.transcription.value;
    const hasText = /[\u0370-\u03ff\u1f00-\u1fff]/.test(text);
    // Without the labelled region's text the glyphs can still be learned from lines corrected in the Reading tab.
    if (
      this.command === 'read' &&
      !hasText &&
      !(options.correctedLines && !options.glyphsFrom && (await this.api.correctedLines(String(options.segment))) > 0)
    )
      errors.push('known text: type the Greek text of the labelled region (one papyrus line per line)');
    if (errors.length) throw new Error(errors.join(' · '));
    if (this.command === 'read' && hasText) {
      const owner = (options.glyphsFrom as string | undefined) ?? (options.segment as string);
      options.transcription = await this.api.saveTranscription(owner, text);
    }
    return request;
  }
}
