/**
 * Add data to the corpus without a terminal: files or a folder (picker or drag and drop) are uploaded into the
 * corpus's incoming/ folder and ingested there; an https OME-Zarr URL is ingested directly; in Electron the native
 * dialog's files are ingested where they lie. Upload progress (bytes, rate, ETA), then the ingest jobs' states.
 *
 *   const add = new AddData(api, { startJob, onAdded: () => location.reload() });
 *   document.body.append(add.dialog);  add.open();
 */
import type { JobInfo, JobRequest } from '../api/index.js';
import type { ApiClient } from './api.js';
import { h } from './dom.js';

export interface PickedFile {
  /** Path inside what was picked: 'scroll.volpkg/volumes/scan.tif', or just the file name. */
  relPath: string;
  file: Blob;
}

/**
 * What to ingest from an upload batch: each top-level folder once (a volpkg, a zarr, a folder of layers), and each
 * loose file on its own.
 */
export function ingestInputs(batch: string, files: readonly PickedFile[]): string[] {
  const tops = new Set<string>();
  for (const f of files) {
    const parts = f.relPath.split('/');
    tops.add(parts.length > 1 ? parts[0]! : f.relPath);
  }
  return [...tops].sort().map((t) => `incoming/${batch}/${t}`);
}

/** "12.0 MB of 40.0 MB · 25.1 MB/s · ETA 2 s". */
export function uploadLine(sent: number, total: number, seconds: number): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  const rate = seconds > 0 ? sent / seconds : 0;
  const eta = rate > 0 ? Math.max(0, (total - sent) / rate) : NaN;
  return `${mb(sent)} of ${mb(total)}${rate ? ` · ${(rate / 1e6).toFixed(1)} MB/s` : ''}${Number.isFinite(eta) ? ` · ETA ${eta.toFixed(0)} s` : ''}`;
}

/** Every file under a dropped entry (folders walked), with its path inside the drop. */
async function filesOfEntry(entry: FileSystemEntry, prefix = ''): Promise<PickedFile[]> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    return [{ relPath: prefix + entry.name, file }];
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const out: PickedFile[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const e of batch) out.push(...(await filesOfEntry(e, `${prefix}${entry.name}/`)));
  }
  return out;
}

/**
 * The ingest of a remote OME-Zarr volume as the form gives it: the https address, and optionally a scale level and a
 * box of that level, so a user looks at a part of a scroll without copying the whole volume (only the chunks the box
 * touches are fetched, through the on-disk cache). An error line for what cannot be sent.
 */
export function remoteVolumeOptions(
  url: string,
  level: string,
  region: string,
): { url: string; options: Record<string, string> } | { error: string } {
  const u = url.trim();
  if (!/^https:\/\/\S+$/i.test(u)) return { error: 'give an https:// address of an OME-Zarr volume' };
  const options: Record<string, string> = {};
  const l = level.trim();
  if (l) {
    if (!/^\d{1,2}$/.test(l) || Number(l) > 20) return { error: `level ${l}: a whole number 0..20` };
    options.level = String(Number(l));
  }
  const r = region.replace(/\s+/g, '');
  if (r) {
    const axes = r.split(',').map((a) => /^(\d+):(\d+)$/.exec(a));
    if (axes.length !== 3 || axes.some((m) => !m || Number(m[1]) >= Number(m[2])))
      return { error: `box ${region.trim()}: give z0:z1,y0:y1,x0:x1 with each start below its end` };
    options.region = r;
  }
  return { url: u, options };
}

export class AddData {
  readonly dialog = h('dialog', { className: 'add-data' });
  private readonly progress = h('progress', {
    max: 1,
    value: 0,
    className: 'upload-progress',
    title: 'upload progress',
  });
  private readonly line = h('div', { className: 'upload-line' });
  private readonly jobsLine = h('ul', { className: 'add-jobs' });
  private readonly as = h(
    'select',
    { className: 'add-as', title: 'what the data holds (found from the files when left on "find out")' },
    h('option', { value: '' }, 'find out'),
    ...['scan', 'segment', 'labels', 'text'].map((v) => h('option', { value: v }, v)),
  );
  private readonly scroll = h('input', {
    type: 'text',
    className: 'add-scroll',
    placeholder: '(from the data)',
    title: 'the scroll this data belongs to (a name); left empty, it comes from the data',
  });
  private readonly url = h('input', {
    type: 'url',
    className: 'add-url',
    placeholder: 'https://…/Scroll1.zarr',
    title: 'an https OME-Zarr volume to stream in (its chunks are read over the network)',
  });
  private readonly urlLevel = h('input', {
    type: 'number',
    min: '0',
    max: '20',
    step: '1',
    className: 'add-url-level',
    placeholder: '0',
    title:
      'the scale level to read (0 full resolution; each level halves every axis): a coarse level is a quick overview',
  });
  private readonly urlRegion = h('input', {
    type: 'text',
    className: 'add-url-region',
    placeholder: 'z0:z1,y0:y1,x0:x1 (all)',
    title: 'only this box of the level, in its voxels: only the chunks it touches are fetched, not the whole volume',
  });
  private readonly filesInput = h('input', {
    type: 'file',
    multiple: true,
    className: 'add-files',
    title: 'choose files to upload into the corpus and add',
  });
  private readonly folderInput = h('input', {
    type: 'file',
    className: 'add-folder',
    title: 'choose a folder (a .volpkg, a .zarr, a folder of layers) to upload into the corpus and add',
  });
  private busy = false;

  constructor(
    readonly api: ApiClient,
    readonly hooks: {
      startJob: (r: JobRequest) => Promise<JobInfo>;
      /** Records were added: show them. */
      onAdded: (jobs: JobInfo[]) => void;
      /** Electron's native picker (absolute paths the main process granted), when there is one. */
      nativePick?: () => Promise<string[]>;
    },
  ) {
    this.folderInput.setAttribute('webkitdirectory', '');
    this.filesInput.onchange = () =>
      void this.addPicked([...(this.filesInput.files ?? [])].map((f) => ({ relPath: f.name, file: f })));
    this.folderInput.onchange = () =>
      void this.addPicked(
        [...(this.folderInput.files ?? [])].map((f) => ({ relPath: f.webkitRelativePath || f.name, file: f })),
      );
    const drop = h(
      'div',
      { className: 'drop-zone', title: 'drop files or folders here' },
      'Drop files or a folder here (a .volpkg, .zarr, TIFF stack, NRRD, NIfTI, DICOM, ink labels, a text)',
    );
    drop.addEventListener('dragover', (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      const entries = [...(e.dataTransfer?.items ?? [])]
        .map((i) => i.webkitGetAsEntry?.())
        .filter((x): x is FileSystemEntry => Boolean(x));
      void Promise.all(entries.map((en) => filesOfEntry(en))).then((lists) => this.addPicked(lists.flat()));
    });
    const pickers: HTMLElement[] = [
      h(
        'button',
        { type: 'button', title: this.filesInput.title, onclick: () => this.filesInput.click() },
        'Choose files…',
      ),
      h(
        'button',
        { type: 'button', title: this.folderInput.title, onclick: () => this.folderInput.click() },
        'Choose a folder…',
      ),
    ];
    if (hooks.nativePick)
      pickers.unshift(
        h(
          'button',
          {
            type: 'button',
            className: 'primary',
            title: 'choose files or folders on this computer; they are added where they lie (no copy)',
            onclick: () => void this.addNative(),
          },
          'Choose on this computer…',
        ),
      );
    this.dialog.append(
      h('h2', {}, 'Add data'),
      drop,
      h('div', { className: 'layer-row' }, ...pickers, this.filesInput, this.folderInput),
      h(
        'div',
        { className: 'layer-row' },
        this.url,
        h('label', { title: this.urlLevel.title }, ' level ', this.urlLevel),
        h('label', { title: this.urlRegion.title }, ' box ', this.urlRegion),
        h('button', { type: 'button', title: this.url.title, onclick: () => void this.addUrl() }, 'Add URL'),
      ),
      h(
        'div',
        { className: 'layer-row' },
        h('label', { title: this.as.title }, 'holds ', this.as),
        h('label', { title: this.scroll.title }, ' scroll ', this.scroll),
      ),
      this.progress,
      this.line,
      this.jobsLine,
      h(
        'div',
        { className: 'layer-row' },
        h('button', { type: 'button', title: 'close this window', onclick: () => this.dialog.close() }, 'Close'),
      ),
    );
  }

  open(): void {
    if (!this.dialog.open) this.dialog.showModal();
  }

  private options(): Record<string, string> {
    const o: Record<string, string> = {};
    if (this.as.value) o.as = this.as.value;
    if (this.scroll.value.trim()) o.scroll = this.scroll.value.trim();
    return o;
  }

  private say(text: string, error = false): void {
    this.line.textContent = text;
    this.line.classList.toggle('error', error);
  }

  async addPicked(files: PickedFile[]): Promise<void> {
    if (this.busy || !files.length) return;
    this.busy = true;
    try {
      const batch = `upload-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      const total = files.reduce((s, f) => s + f.file.size, 0);
      let done = 0;
      const t0 = performance.now();
      for (const f of files) {
        await this.api.upload(`${batch}/${f.relPath}`, f.file, (sent) => {
          this.progress.value = total ? (done + sent) / total : 1;
          this.say(`uploading ${f.relPath}: ${uploadLine(done + sent, total, (performance.now() - t0) / 1000)}`);
        });
        done += f.file.size;
      }
      this.progress.value = 1;
      this.say(`uploaded ${files.length} file(s), ${uploadLine(total, total, (performance.now() - t0) / 1000)}`);
      await this.ingest(ingestInputs(batch, files));
    } catch (e) {
      this.say((e as Error).message, true);
    } finally {
      this.busy = false;
      this.filesInput.value = '';
      this.folderInput.value = '';
    }
  }

  private async addUrl(): Promise<void> {
    const remote = remoteVolumeOptions(this.url.value, this.urlLevel.value, this.urlRegion.value);
    if ('error' in remote) return this.say(remote.error, true);
    await this.ingest([remote.url], remote.options).catch((e: Error) => this.say(e.message, true));
  }

  private async addNative(): Promise<void> {
    const paths = (await this.hooks.nativePick?.()) ?? [];
    if (paths.length) await this.ingest(paths).catch((e: Error) => this.say(e.message, true));
  }

  /** One ingest job per input, one after another (each writes the corpus); their states listed as they end. */
  private async ingest(inputs: string[], extra: Record<string, string> = {}): Promise<void> {
    const finished: JobInfo[] = [];
    for (const input of inputs) {
      const item = h('li', { className: 'add-job' }, `adding ${input.split('/').pop()} …`);
      this.jobsLine.append(item);
      const job = await this.hooks.startJob({ command: 'ingest', input, options: { ...this.options(), ...extra } });
      const end = await this.api.waitForJob(job.id);
      item.textContent = `${input.split('/').pop()}: ${end.state}${end.error ? ` — ${end.error}` : ''}`;
      item.className = `add-job ${end.state}`;
      finished.push(end);
    }
    if (finished.some((j) => j.state === 'done'))
      this.jobsLine.append(
        h(
          'li',
          {},
          h(
            'button',
            {
              className: 'add-show primary',
              title: 'reload the app on the corpus with the new records',
              onclick: () => this.hooks.onAdded(finished),
            },
            'Show the new data',
          ),
        ),
      );
  }
}
