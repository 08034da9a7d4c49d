/**
 * The renderer entry (browser and Electron): loads the corpus's records and saved view state from the local API,
 * builds the four tabs (volume, segment, compare, training), wires the status line (value under the cursor) and
 * screenshots (download in a browser, native save dialog in Electron), and restores the last tab.
 *
 * Bundled by src/server/build-ui.ts into dist/ui/app.js; `aunn serve` and Electron serve it.
 */
import { ApiClient } from '../../src/viewer/api.js';
import { ComparePanel } from '../../src/viewer/compare-panel.js';
import { Dashboard } from '../../src/viewer/dashboard.js';
import { download, h } from '../../src/viewer/dom.js';
import { SegmentPanel } from '../../src/viewer/segment-panel.js';
import { ViewStore, type Tab } from '../../src/viewer/state.js';
import { VolumePanel } from '../../src/viewer/volume-panel.js';
import type { MenuAction } from '../bridge.js';

const TABS: Tab[] = ['volume', 'segment', 'compare', 'training'];

async function main(): Promise<void> {
  // The token came in the URL once and now lives in an HttpOnly cookie: drop it from the address bar and history.
  if (location.search.includes('token=')) history.replaceState(null, '', location.pathname);
  const status = document.querySelector<HTMLElement>('.status')!;
  const setStatus = (text: string) => (status.textContent = text);
  const api = new ApiClient();
  const [{ dir, records }, store] = await Promise.all([api.records(), ViewStore.load(api)]);
  document.querySelector('.corpus-name')!.textContent = `${dir} · ${records.length} records`;
  const panel = (t: Tab) => document.querySelector<HTMLElement>(`[data-panel="${t}"]`)!;

  const saveShot = async (blob: Blob, name: string) => {
    const file = `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.png`;
    if (window.aunn) {
      const saved = await window.aunn.savePng(new Uint8Array(await blob.arrayBuffer()), file);
      if (saved) setStatus(`saved ${saved}`);
    } else download(blob, file);
  };

  if (records.length === 0) {
    for (const t of TABS)
      panel(t).append(
        h(
          'p',
          { className: 'error' },
          'This corpus is empty: add a scan with `aunn ingest PATH --corpus DIR` or the Training tab (ingest).',
        ),
      );
  }
  const volume = records.length
    ? new VolumePanel(panel('volume'), api, records, store, setStatus, saveShot)
    : undefined;
  let segment: SegmentPanel | undefined;
  let compare: ComparePanel | undefined;
  let dashboard: Dashboard | undefined;

  // A job may have appended records (predictions appear as layers): offer to reload onto them.
  const checkNewRecords = async () => {
    const now = (await api.records()).records.length;
    if (now === records.length) return;
    status.replaceChildren(
      `${now - records.length} new record(s) in the corpus (predictions, ink…). `,
      h('button', { className: 'reload', onclick: () => location.reload() }, 'Show them'),
    );
  };

  // Tabs other than the first are built when first shown (each view is a WebGL context).
  const show = async (tab: Tab) => {
    for (const t of TABS) {
      panel(t).classList.toggle('active', t === tab);
      document.querySelector(`.tabs [data-tab="${t}"]`)!.classList.toggle('active', t === tab);
    }
    store.update({ tab });
    if (tab === 'segment' && !segment && records.length)
      segment = new SegmentPanel(panel('segment'), api, records, store, setStatus, saveShot);
    if (tab === 'compare' && !compare && volume)
      compare = new ComparePanel(panel('compare'), api, volume, setStatus, saveShot);
    if (tab === 'compare') await compare?.show();
    if (tab === 'training') {
      dashboard ??= new Dashboard(panel('training'), api, saveShot, () => void checkNewRecords());
      await dashboard.refresh();
    }
    document.body.dataset.activeTab = tab;
  };
  for (const t of TABS) document.querySelector<HTMLElement>(`.tabs [data-tab="${t}"]`)!.onclick = () => void show(t);

  if (window.aunn) {
    const native = document.querySelector('.native')!;
    native.append(
      h('button', { onclick: () => void window.aunn!.openCorpus() }, 'Open corpus…'),
      h(
        'button',
        {
          onclick: async () => {
            const files = await window.aunn!.openFiles();
            for (const f of files) await api.startJob({ command: 'ingest', input: f });
            if (files.length) await show('training');
          },
        },
        'Ingest files…',
      ),
    );
    window.aunn.onMenu((action: MenuAction) => {
      if (action.startsWith('tab:')) void show(action.slice(4) as Tab);
      else if (action === 'screenshot') document.querySelector<HTMLButtonElement>('.panel.active .shot')?.click();
    });
  }

  // For diagnostics and the benchmark (bench/viewer.bench.ts): the live panels.
  (window as unknown as { __aunn: unknown }).__aunn = { volumePanel: volume, store };

  await show(store.state.tab && TABS.includes(store.state.tab) ? store.state.tab : 'volume');
  await volume?.ready;
  setStatus(
    `${records.length} records · wheel: slice · ctrl+wheel: zoom · drag: pan · click: move crosshair · double-click: fit`,
  );
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  document.body.dataset.ready = 'error';
  document
    .querySelector('main')!
    .replaceChildren(h('p', { className: 'error' }, `Could not open the corpus: ${(e as Error).message}`));
});
