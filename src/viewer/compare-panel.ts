/**
 * The compare tab: observed / predicted / residual (|observed − predicted|) / uncertainty of one slice, side by
 * side, linked (zoom, pan, crosshair and the value readout move together), or as a swipe between observed and
 * predicted. Follows the volume tab's base record and z cursor.
 *
 *   const cmp = new ComparePanel(el, api, volumePanel, setStatus, saveShot);
 *   await cmp.show();
 */
import type { ApiClient, Plane } from './api.js';
import { autoContrast } from './colormaps.js';
import { h } from './dom.js';
import type { Layer } from './layers.js';
import { SliceView, type ViewTransform } from './slice-view.js';
import type { VolumePanel } from './volume-panel.js';
import { voxelSizeAt } from './layers.js';

type Kind = 'observed' | 'predicted' | 'residual' | 'uncertainty';
const KINDS: Kind[] = ['observed', 'predicted', 'residual', 'uncertainty'];

/** |a − b| on a's grid; b is resampled (nearest) when it is coarser (a prediction at a lower level). */
export function residual(a: Plane, b: Plane): Plane {
  const out = new Uint8Array(a.rows * a.cols);
  for (let r = 0; r < a.rows; r++) {
    const br = Math.floor((r * b.rows) / a.rows);
    for (let c = 0; c < a.cols; c++) {
      const bc = Math.floor((c * b.cols) / a.cols);
      out[r * a.cols + c] = Math.abs(a.data[r * a.cols + c]! - b.data[br * b.cols + bc]!);
    }
  }
  return { rows: a.rows, cols: a.cols, data: out };
}

/** Value of a plane at a grid pixel of a (rows × cols) grid, scaling when the plane is coarser. */
function valueOn(p: Plane, rows: number, cols: number, row: number, col: number): number {
  return p.data[Math.floor((row * p.rows) / rows) * p.cols + Math.floor((col * p.cols) / cols)]!;
}

export class ComparePanel {
  readonly views = new Map<Kind, SliceView>();
  private planes = new Map<Kind, Plane>();
  private swipe = false;
  private swipeAt = 0.5;
  private controller?: AbortController;
  private z = -1;

  constructor(
    readonly root: HTMLElement,
    readonly api: ApiClient,
    readonly volume: VolumePanel,
    readonly onStatus: (text: string) => void,
    readonly onScreenshot: (blob: Blob, name: string) => void,
  ) {
    const grid = h('div', { className: 'quad compare' });
    const swipeSlider = h('input', { type: 'range', min: '0', max: '1', step: '0.01', value: '0.5', className: 'swipe-at', oninput: (e: Event) => { this.swipeAt = Number((e.target as HTMLInputElement).value); this.applyStyles(); } });
    root.append(
      h('aside', { className: 'side' },
        h('h3', {}, 'Compare'),
        h('p', {}, `${volume.base.name}, z slice of the volume tab's crosshair. Residual = |observed − predicted|.`),
        h('label', { className: 'layer-row' }, h('input', { type: 'checkbox', className: 'swipe', onchange: (e: Event) => { this.swipe = (e.target as HTMLInputElement).checked; this.applyStyles(); } }), ' swipe observed | predicted in the first view'),
        h('div', { className: 'layer-row' }, 'swipe ', swipeSlider)),
      grid,
    );
    const um = voxelSizeAt(volume.base, volume.level);
    for (const kind of KINDS) {
      const host = h('div', { className: 'view-host' });
      grid.append(h('div', { className: 'cell' }, host, h('button', { className: 'shot', 'data-shot': `compare-${kind}`, onclick: () => void this.screenshot(kind) }, 'PNG')));
      const view = new SliceView(host, { name: `compare-${kind}` });
      view.setGrid(volume.shape[1], volume.shape[2], [um[1], um[2]]);
      view.onViewChange = (t) => this.link(view, t);
      view.onHover = (row, col) => {
        view.setCrosshair([row, col]);
        for (const v of this.views.values()) v.setCrosshair([row, col]);
        this.onStatus(
          `z ${this.z} y ${row} x ${col} · ` +
            KINDS.map((k) => {
              const p = this.planes.get(k);
              return `${k} ${p ? valueOn(p, volume.shape[1], volume.shape[2], row, col) : '–'}`;
            }).join(' · '),
        );
      };
      view.onSliceStep = (d) => {
        volume.cursor[0] = Math.max(0, Math.min(volume.shape[0] - 1, volume.cursor[0] + d));
        void this.show();
      };
      this.views.set(kind, view);
    }
  }

  private link(from: SliceView, t: ViewTransform): void {
    for (const v of this.views.values()) if (v !== from) v.setView(t);
  }

  private layerOf(kind: 'observed' | 'predicted' | 'uncertainty'): Layer | undefined {
    // the latest model's prediction when there are several
    return [...this.volume.layers].reverse().find((l) => l.role === kind);
  }

  /** Load the four planes for the current z (skips work when nothing changed). */
  async show(force = false): Promise<void> {
    const z = this.volume.cursor[0];
    if (z === this.z && !force) return this.applyStyles();
    this.z = z;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const get = (l?: Layer) => {
      if (!l) return Promise.resolve(undefined);
      const level = Math.min(this.volume.level, l.record.levels - 1);
      const depth = l.record.levelShapes[level]![0];
      return this.api.slice(l.record.id, 'z', Math.min(depth - 1, Math.floor((z * depth) / this.volume.shape[0])), level, controller.signal);
    };
    try {
      const [obs, pred, unc] = await Promise.all([get(this.layerOf('observed')), get(this.layerOf('predicted')), get(this.layerOf('uncertainty'))]);
      if (controller.signal.aborted) return;
      this.planes = new Map();
      if (obs) this.planes.set('observed', obs);
      if (pred) this.planes.set('predicted', pred);
      if (obs && pred) this.planes.set('residual', residual(obs, pred));
      if (unc) this.planes.set('uncertainty', unc);
      this.applyStyles();
    } catch (e) {
      if (!controller.signal.aborted) this.onStatus(`compare failed: ${(e as Error).message}`);
    }
  }

  private applyStyles(): void {
    const obs = this.layerOf('observed');
    for (const kind of KINDS) {
      const view = this.views.get(kind)!;
      const p = this.planes.get(kind);
      // Observed and predicted share the observed layer's window; residual and uncertainty get their own auto-contrast.
      const win: [number, number] = kind === 'residual' || kind === 'uncertainty' ? (p ? [0, autoContrast(p.data, 0, 99)[1]] : [0, 255]) : (obs?.window ?? [0, 255]);
      const colormap = kind === 'residual' || kind === 'uncertainty' ? 'inferno' : (obs?.colormap ?? 'grey');
      view.setLayer(kind, p, { visible: Boolean(p), opacity: 1, colormap, window: win, threshold: 0 }, 0);
      if (kind === 'observed') {
        // swipe: the predicted plane over the right part of the first view
        const pred = this.planes.get('predicted');
        if (this.swipe && pred) {
          const cut = Math.round(this.swipeAt * pred.cols);
          const masked = new Uint8Array(pred.data);
          const obsPlane = this.planes.get('observed');
          for (let r = 0; r < pred.rows; r++) for (let c = 0; c < cut; c++) masked[r * pred.cols + c] = obsPlane ? obsPlane.data[r * pred.cols + c]! : 0;
          view.setLayer('swipe', { ...pred, data: masked }, { visible: true, opacity: 1, colormap, window: win, threshold: 0 }, 1);
        } else view.setLayer('swipe', undefined, { visible: false, opacity: 1, colormap, window: win, threshold: 0 }, 1);
      }
      view.setInfo(`${kind}${this.swipe && kind === 'observed' ? ' | predicted (swipe)' : ''} · z ${this.z}${p ? '' : ' · not available yet (run `aunn predict`)'}`);
    }
  }

  async screenshot(kind: Kind): Promise<void> {
    this.onScreenshot(await this.views.get(kind)!.screenshot(), `aunn-compare-${kind}`);
  }
}
