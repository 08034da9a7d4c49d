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
import { colorbar, type Colorbar } from './colorbar.js';
import { formatValue, type Layer } from './layers.js';
import { extentOf, layerIndex, placementOf } from './placement.js';
import { SliceView, type Extent, type ViewTransform } from './slice-view.js';
import type { VolumePanel } from './volume-panel.js';
import { voxelSizeAt } from './layers.js';

type Kind = 'observed' | 'predicted' | 'residual' | 'uncertainty';
const KINDS: Kind[] = ['observed', 'predicted', 'residual', 'uncertainty'];

/** A plane placed at `extent` on a rows × cols grid, resampled (nearest); outside it 0, or `background`'s values. */
export function toGrid(p: Plane, e: Extent, rows: number, cols: number, background?: Plane): Plane {
  if (e.row0 === 0 && e.col0 === 0 && p.rows === rows && p.cols === cols && e.rows === rows && e.cols === cols)
    return p;
  const out = background ? new Uint8Array(background.data) : new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const pr = Math.floor(((r + 0.5 - e.row0) * p.rows) / e.rows);
    if (pr < 0 || pr >= p.rows) continue;
    for (let c = 0; c < cols; c++) {
      const pc = Math.floor(((c + 0.5 - e.col0) * p.cols) / e.cols);
      if (pc >= 0 && pc < p.cols) out[r * cols + c] = p.data[pr * p.cols + pc]!;
    }
  }
  return { rows, cols, data: out };
}

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
  /** Residual and uncertainty windows, fixed from the first slice shown. */
  private readonly fixedWindows = new Map<Kind, [number, number]>();
  private readonly bars = new Map<Kind, Colorbar>();
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
    const swipeSlider = h('input', {
      type: 'range',
      min: '0',
      max: '1',
      step: '0.01',
      value: '0.5',
      className: 'swipe-at',
      title: 'where the swipe divides observed (left) from predicted (right)',
      oninput: (e: Event) => {
        this.swipeAt = Number((e.target as HTMLInputElement).value);
        this.applyStyles();
      },
    });
    root.append(
      h(
        'aside',
        { className: 'side' },
        h('h3', {}, 'Compare'),
        h('p', {}, `${volume.base.name}, z slice of the volume tab's crosshair. Residual = |observed − predicted|.`),
        h(
          'label',
          { className: 'layer-row' },
          h('input', {
            type: 'checkbox',
            className: 'swipe',
            title: 'show observed on the left and predicted on the right of a divider in the first view',
            onchange: (e: Event) => {
              this.swipe = (e.target as HTMLInputElement).checked;
              this.applyStyles();
            },
          }),
          ' swipe observed | predicted in the first view',
        ),
        h('div', { className: 'layer-row' }, 'swipe ', swipeSlider),
      ),
      grid,
    );
    const um = voxelSizeAt(volume.base, volume.level);
    for (const kind of KINDS) {
      const host = h('div', { className: 'view-host' });
      grid.append(
        h(
          'div',
          { className: 'cell' },
          host,
          this.bar(kind),
          h(
            'button',
            {
              className: 'shot',
              'data-shot': `compare-${kind}`,
              title: `save the ${kind} view as PNG`,
              onclick: () => void this.screenshot(kind),
            },
            'PNG',
          ),
        ),
      );
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
        // One cursor: the volume tab's views follow (its z slice and the crosshair lines of the others).
        volume.stepCursor(0, d);
        void this.show();
      };
      this.views.set(kind, view);
    }
  }

  private link(from: SliceView, t: ViewTransform): void {
    for (const v of this.views.values()) if (v !== from) v.setView(t);
  }

  private bar(kind: Kind): Colorbar {
    const bar = colorbar(`colour scale of the ${kind} view (the same on every slice)`);
    this.bars.set(kind, bar);
    return bar;
  }

  /** A byte of a compare view in the scan's units (a residual is a difference: no offset). */
  private format(kind: Kind, byte: number): string {
    const obs = this.layerOf('observed');
    if (kind === 'uncertainty') {
      const unc = this.layerOf('uncertainty');
      return unc ? formatValue(unc, byte) : String(byte);
    }
    if (!obs) return String(byte);
    if (kind === 'residual') {
      const w = obs.record.window;
      const v = w ? (byte * (w[1] - w[0])) / 255 : byte;
      return v >= 100 ? v.toFixed(0) : v.toPrecision(3);
    }
    return formatValue(obs, byte);
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
    const rows = this.volume.shape[1];
    const cols = this.volume.shape[2];
    const get = async (l?: Layer): Promise<{ plane: Plane; extent: Extent } | undefined> => {
      if (!l) return undefined;
      const p = placementOf(l.record, this.volume.base, this.volume.level);
      const k = layerIndex(p, 0, z);
      if (k === undefined) return undefined;
      return {
        plane: await this.api.slice(l.record.id, 'z', k, p.level, controller.signal),
        extent: extentOf(p, 1, 2),
      };
    };
    try {
      const [obs, pred, unc] = await Promise.all([
        get(this.layerOf('observed')),
        get(this.layerOf('predicted')),
        get(this.layerOf('uncertainty')),
      ]);
      if (controller.signal.aborted) return;
      // Every plane on the base grid (a prediction may be a coarser box); the residual is 0 where nothing was predicted.
      const obsPlane = obs && toGrid(obs.plane, obs.extent, rows, cols);
      this.planes = new Map();
      if (obsPlane) this.planes.set('observed', obsPlane);
      if (pred) this.planes.set('predicted', toGrid(pred.plane, pred.extent, rows, cols));
      if (obsPlane && pred)
        this.planes.set('residual', residual(obsPlane, toGrid(pred.plane, pred.extent, rows, cols, obsPlane)));
      if (unc) this.planes.set('uncertainty', toGrid(unc.plane, unc.extent, rows, cols));
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
      // Observed and predicted share the observed layer's window; residual and uncertainty get one scale, set from
      // the first slice and then kept, so their colours compare between slices.
      let win: [number, number] = obs?.window ?? [0, 255];
      if (kind === 'residual' || kind === 'uncertainty') {
        const fixed = this.fixedWindows.get(kind) ?? (p ? autoContrast(p.data, 1, 99) : undefined);
        if (fixed && p) this.fixedWindows.set(kind, fixed);
        win = fixed ?? [0, 255];
      }
      const colormap = kind === 'residual' || kind === 'uncertainty' ? 'inferno' : (obs?.colormap ?? 'grey');
      view.setLayer(kind, p, { visible: Boolean(p), opacity: 1, colormap, window: win, threshold: 0 }, 0);
      this.bars.get(kind)?.set(colormap, win, (b) => this.format(kind, b));
      if (kind === 'observed') {
        // swipe: the predicted plane over the right part of the first view
        const pred = this.planes.get('predicted');
        if (this.swipe && pred) {
          const cut = Math.round(this.swipeAt * pred.cols);
          const masked = new Uint8Array(pred.data);
          const obsPlane = this.planes.get('observed');
          for (let r = 0; r < pred.rows; r++)
            for (let c = 0; c < cut; c++) masked[r * pred.cols + c] = obsPlane ? obsPlane.data[r * pred.cols + c]! : 0;
          view.setLayer(
            'swipe',
            { ...pred, data: masked },
            { visible: true, opacity: 1, colormap, window: win, threshold: 0 },
            1,
          );
        } else
          view.setLayer('swipe', undefined, { visible: false, opacity: 1, colormap, window: win, threshold: 0 }, 1);
      }
      view.setInfo(
        `${kind}${this.swipe && kind === 'observed' ? ' | predicted (swipe)' : ''} · z ${this.z}${p ? '' : ' · not available yet (run `aunn predict`)'}`,
      );
    }
  }

  async screenshot(kind: Kind): Promise<void> {
    this.onScreenshot(await this.views.get(kind)!.screenshot(), `aunn-compare-${kind}`);
  }
}
