/**
 * The renderer entry (browser and Electron): loads the corpus's records and saved view state from the local API,
 * builds the five tabs (volume, segment, reading, compare, jobs), Add data, help and shortcuts, wires the status
 * line (value under the cursor) and screenshots (download in a browser, native save dialog in Electron), and
 * restores the last tab. An empty corpus opens on a hint that leads to Add data.
 *
 * Bundled by src/server/build-ui.ts into dist/ui/app.js; `aunn serve` and Electron serve it.
 */
import type { JobRequest } from '../../src/api/index.js';
import { AddData } from '../../src/viewer/add-data.js';
import { ApiClient, type RecordInfo } from '../../src/viewer/api.js';
import { ComparePanel } from '../../src/viewer/compare-panel.js';
import { Dashboard } from '../../src/viewer/dashboard.js';
import { download, h } from '../../src/viewer/dom.js';
import { Help, bindShortcuts, firstRunHint } from '../../src/viewer/help.js';
import type { FormContext } from '../../src/viewer/job-form.js';
import { ReadingPanel } from '../../src/viewer/reading-panel.js';
import { SegmentPanel } from '../../src/viewer/segment-panel.js';
import { ViewStore, type Tab } from '../../src/viewer/state.js';
import { VolumePanel } from '../../src/viewer/volume-panel.js';
import type { MenuAction } from '../bridge.js';

const TABS: Tab[] = ['volume', 'segment', 'reading', 'compare', 'training'];

/** What the job forms offer by name. */
function formContext(records: RecordInfo[], models: string[]): FormContext {
  const groups = (pred: (r: RecordInfo) => boolean) => [...new Set(records.filter(pred).map((r) => r.group ?? r.name))];
  return {
    segments: groups((r) => r.modality === 'segment-layers'),
    labelledSegments: groups((r) => r.modality === 'ink-labels'),
    records: records.filter((r) => r.modality !== 'prediction').map((r) => r.name),
    scrolls: [...new Set(records.map((r) => r.scroll))],
    models,
  };
}

async function main(): Promise<void> {
  // The token came in the URL once and now lives in an HttpOnly cookie: drop it from the address bar and history.
  if (location.search.includes('token=')) history.replaceState(null, '', location.pathname);
  const status = document.querySelector<HTMLElement>('.status')!;
  const setStatus = (text: string) => (status.textContent = text);
  const api = new ApiClient();
  const [{ dir, records }, store, models] = await Promise.all([
    api.records(),
    ViewStore.load(api),
    api.models().catch(() => [] as string[]),
  ]);
  document.querySelector('.corpus-name')!.textContent = `${dir} · ${records.length} records`;
  const panel = (t: Tab) => document.querySelector<HTMLElement>(`[data-panel="${t}"]`)!;

  const saveShot = async (blob: Blob, name: string) => {
    const file = `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.png`;
    if (window.aunn) {
      const saved = await window.aunn.savePng(new Uint8Array(await blob.arrayBuffer()), file);
      if (saved) setStatus(`saved ${saved}`);
    } else download(blob, file);
  };

  const hasSegment = records.some((r) => r.modality === 'segment-layers');
  const volume = records.some((r) => r.modality !== 'prediction' && r.shape[0] > 1)
    ? new VolumePanel(panel('volume'), api, records, store, setStatus, saveShot)
    : undefined;
  let segment: SegmentPanel | undefined;
  let reading: ReadingPanel | undefined;
  let compare: ComparePanel | undefined;

  // A job may have appended records (predictions, ink, readings): offer to reload onto them.
  const checkNewRecords = async () => {
    const now = (await api.records()).records.length;
    if (now === records.length) return;
    status.replaceChildren(
      `${now - records.length} new record(s) in the corpus (predictions, ink…). `,
      h(
        'button',
        { className: 'reload', title: 'reload the app on the new records', onclick: () => reloadKeepingState() },
        'Show them',
      ),
    );
  };
  const reloadKeepingState = () => void store.flush().finally(() => location.reload());
  const dashboard = new Dashboard(panel('training'), api, formContext(records, models), saveShot, () => {
    void checkNewRecords();
    void api.models().then((m) => dashboard.setContext(formContext(records, m)));
    void reading?.choose(reading.group ?? '');
  });
  const runJob = (r: JobRequest) => dashboard.run(r);

  const addData = new AddData(api, {
    startJob: runJob,
    onAdded: () => reloadKeepingState(),
    nativePick: window.aunn ? () => window.aunn!.openFiles() : undefined,
  });
  document.body.append(addData.dialog);
  const help = new Help(document.body);

  const emptyNote = (t: Tab, what: string) =>
    panel(t).append(
      h(
        'div',
        { className: 'empty-note' },
        h('p', {}, what),
        h(
          'button',
          { className: 'primary', title: 'add data to the corpus', onclick: () => addData.open() },
          'Add data…',
        ),
      ),
    );
  if (!volume) emptyNote('volume', 'No scan in this corpus yet. Add a CT scan (or a .volpkg that holds one).');
  if (!hasSegment) {
    emptyNote('segment', 'No segment yet. Add a segment (surface layers 00..64, with its ink labels).');
    emptyNote('reading', 'No segment to read yet.');
  }

  // Tabs other than the first are built when first shown (each view is a WebGL context).
  const show = async (tab: Tab) => {
    for (const t of TABS) {
      panel(t).classList.toggle('active', t === tab);
      document.querySelector(`.tabs [data-tab="${t}"]`)!.classList.toggle('active', t === tab);
    }
    store.update({ tab });
    if ((tab === 'segment' || tab === 'reading') && !segment && hasSegment) {
      segment = new SegmentPanel(panel('segment'), api, records, store, setStatus, saveShot);
      segment.onChoose = (g) => void reading?.choose(g);
    }
    if (tab === 'reading' && !reading && hasSegment) {
      reading = new ReadingPanel(panel('reading'), api, records, {
        runJob,
        onStatus: setStatus,
        prepareRead: (seg) => {
          dashboard.prepare('read', { segment: seg });
          void show('training');
        },
      });
      await segment?.ready;
      await reading.choose(segment?.group ?? reading.groups[0]!);
    }
    if (tab === 'compare' && !compare && volume)
      compare = new ComparePanel(panel('compare'), api, volume, setStatus, saveShot);
    if (tab === 'compare') await compare?.show();
    if (tab === 'training') await dashboard.refresh();
    document.body.dataset.activeTab = tab;
  };
  for (const t of TABS) document.querySelector<HTMLElement>(`.tabs [data-tab="${t}"]`)!.onclick = () => void show(t);

  const screenshot = () => document.querySelector<HTMLButtonElement>('.panel.active .shot')?.click();
  bindShortcuts(window, {
    tab: (t) => void show(t),
    addData: () => addData.open(),
    help: () => help.toggle(),
    screenshot,
  });
  const header = document.querySelector('.native')!;
  header.append(
    h(
      'button',
      {
        className: 'add-data-open primary',
        title: 'add scans, segments, labels or texts (A)',
        onclick: () => addData.open(),
      },
      'Add data…',
    ),
  );
  if (window.aunn) {
    header.append(
      h(
        'button',
        { title: 'open another corpus folder (Ctrl+O)', onclick: () => void window.aunn!.openCorpus('open') },
        'Open corpus…',
      ),
      h(
        'button',
        { title: 'make a new corpus in an empty folder (Ctrl+N)', onclick: () => void window.aunn!.openCorpus('new') },
        'New corpus…',
      ),
    );
    window.aunn.onMenu((action: MenuAction) => {
      if (action.startsWith('tab:')) void show(action.slice(4) as Tab);
      else if (action === 'screenshot') screenshot();
      else if (action === 'ingest') addData.open();
      else if (action === 'help') help.toggle();
    });
  }
  header.append(
    h(
      'button',
      { className: 'help-open', title: 'keyboard shortcuts and help (?)', onclick: () => help.toggle() },
      '?',
    ),
  );
  if (!store.state.hintDismissed || !records.length)
    document.querySelector('main')!.before(
      firstRunHint(
        records.length === 0,
        () => store.update({ hintDismissed: true }),
        () => addData.open(),
      ),
    );

  // For diagnostics and the benchmark (bench/viewer.bench.ts): the live panels.
  (window as unknown as { __aunn: unknown }).__aunn = { volumePanel: volume, store, dashboard };

  const first =
    store.state.tab && TABS.includes(store.state.tab) ? store.state.tab : records.length ? 'volume' : 'training';
  await show(first === 'volume' && !volume ? 'training' : first);
  await volume?.ready;
  setStatus(
    records.length
      ? `${records.length} records · wheel: slice · ctrl+wheel: zoom · drag: pan · click: crosshair · double-click: fit · ?: help`
      : 'empty corpus: Add data to begin · ?: help',
  );
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  document.body.dataset.ready = 'error';
  document
    .querySelector('main')!
    .replaceChildren(h('p', { className: 'error' }, `Could not open the corpus: ${(e as Error).message}`));
});
