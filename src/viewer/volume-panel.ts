/**
 * The volume tab: three orthogonal slice views (XY, XZ, YZ) with a linked crosshair and the 3-D view, over one base
 * record (a scan) and its predictions as layers. Slices come one plane at a time from the server at a pyramid level
 * small enough for the screen; the 3-D view gets a whole coarse level or a 128³ box around the crosshair.
 *
 *   const panel = new VolumePanel(el, api, records, store, (text) => status.textContent = text);
 *   await panel.ready;
 */
import type { ApiClient, Axis, Plane, RecordInfo } from './api.js';
import { autoContrast } from './colormaps.js';
import { h } from './dom.js';
import { layerControls, type LayerRow } from './layer-controls.js';
import { formatValue, layerFor, styleOf, voxelSizeAt, type Layer } from './layers.js';
import { extentOf, layerIndex, placementOf } from './placement.js';
import { SliceView } from './slice-view.js';
import type { ViewStore } from './state.js';
import { VolumeView } from './volume-view.js';

/** Largest plane side the slice views ask for; bigger records are shown at a coarser level. */
const MAX_SLICE_SIDE = 1024;
/** Largest side of the volume sent to the 3-D view. */
const MAX_3D_SIDE = 128;

interface AxisView {
  axis: Axis;
  view: SliceView;
  /** Which cursor entry is the slice index, and which are rows/cols. */
  index: 0 | 1 | 2;
  rows: 0 | 1 | 2;
  cols: 0 | 1 | 2;
  controller?: AbortController;
}

export function pickLevel(shapes: [number, number, number][], maxSide: number): number {
  for (let l = 0; l < shapes.length; l++) if (Math.max(...shapes[l]!) <= maxSide) return l;
  return shapes.length - 1;
}

export class VolumePanel {
  readonly base: RecordInfo;
  readonly layers: Layer[];
  readonly level: number;
  readonly shape: [number, number, number];
  readonly views: AxisView[];
  readonly volume: VolumeView;
  cursor: [number, number, number];
  ready: Promise<void>;
  private readonly layerList: HTMLElement;
  private readonly volumeControls: HTMLElement;

  constructor(
    readonly root: HTMLElement,
    readonly api: ApiClient,
    readonly records: RecordInfo[],
    readonly store: ViewStore,
    readonly onStatus: (text: string) => void,
    readonly onScreenshot: (blob: Blob, name: string) => void,
  ) {
    const candidates = records.filter((r) => r.modality === 'scan');
    const saved = store.state;
    this.base =
      candidates.find((r) => r.name === saved.base) ??
      candidates[0] ??
      records.find((r) => r.modality !== 'prediction' && r.shape[0] > 1) ??
      records[0]!;
    const preds = records.filter(
      (r) =>
        r.prediction?.of === this.base.name && (r.prediction.kind === 'value' || r.prediction.kind === 'uncertainty'),
    );
    this.layers = [this.base, ...preds].map((r) => layerFor(r, saved.layers?.[r.name]));
    this.level = pickLevel(this.base.levelShapes, MAX_SLICE_SIDE);
    this.shape = this.base.levelShapes[this.level]!;
    const c = saved.cursor;
    this.cursor =
      c && c.every((v, i) => v >= 0 && v < this.shape[i]!)
        ? [...c]
        : (this.shape.map((s) => Math.floor(s / 2)) as [number, number, number]);

    this.layerList = h('div', { className: 'layer-list' });
    this.volumeControls = h('div', { className: 'volume-controls' });
    const grid = h('div', { className: 'quad' });
    // Another scan as the base: saved, then the page reloads on it (every view follows the base record).
    const baseSelect = h('select', {
      className: 'base-select',
      title: 'the scan the volume and compare tabs show (the page reloads on it)',
      onchange: (e: Event) => {
        store.state = { ...store.state, base: (e.target as HTMLSelectElement).value, cursor: undefined, views: {} };
        void store.flush().then(() => location.reload());
      },
    });
    for (const r of candidates.length ? candidates : [this.base])
      baseSelect.append(h('option', { value: r.name, selected: r === this.base }, `${r.name} (${r.shape.join('×')})`));
    root.append(
      h(
        'aside',
        { className: 'side' },
        h('h3', {}, 'Scan'),
        baseSelect,
        h(
          'label',
          { className: 'layer-row', title: 'zoom the XY, XZ and YZ views together (same µm per screen pixel)' },
          h('input', {
            type: 'checkbox',
            className: 'link-zoom',
            title: 'zoom the XY, XZ and YZ views together (same µm per screen pixel)',
            checked: Boolean(store.state.linkZoom),
            onchange: (e: Event) => store.update({ linkZoom: (e.target as HTMLInputElement).checked }),
          }),
          ' link zoom',
        ),
        h('h3', {}, 'Layers'),
        this.layerList,
        h('h3', {}, '3D'),
        this.volumeControls,
      ),
      grid,
    );
    const cell = (name: string) => {
      const el = h('div', { className: 'cell' });
      grid.append(el);
      const div = h('div', { className: 'view-host' });
      el.append(
        div,
        h(
          'button',
          {
            className: 'shot',
            title: `screenshot ${name} (PNG)`,
            'data-shot': name,
            onclick: () => void this.screenshot(name),
          },
          'PNG',
        ),
      );
      return div;
    };
    const spacing = voxelSizeAt(this.base, this.level);
    this.views = (
      [
        { axis: 'z', index: 0, rows: 1, cols: 2, name: 'xy' },
        { axis: 'y', index: 1, rows: 0, cols: 2, name: 'xz' },
        { axis: 'x', index: 2, rows: 0, cols: 1, name: 'yz' },
      ] as const
    ).map((v) => {
      const view = new SliceView(cell(v.name), { name: v.name });
      view.setGrid(this.shape[v.rows], this.shape[v.cols], [spacing[v.rows], spacing[v.cols]]);
      const saved = store.state.views?.[v.name];
      if (saved) view.setView(saved);
      return { axis: v.axis, view, index: v.index, rows: v.rows, cols: v.cols };
    });
    this.volume = new VolumeView(cell('3d'));
    this.bindViews();
    this.buildLayerList();
    this.buildVolumeControls();
    this.ready = Promise.all([this.loadSlices(), this.load3d()]).then(() => undefined);
  }

  private bindViews(): void {
    for (const v of this.views) {
      v.view.onPick = (row, col) => {
        this.cursor[v.rows] = row;
        this.cursor[v.cols] = col;
        this.cursorChanged(new Set(this.views.filter((o) => o !== v).map((o) => o.axis)));
      };
      v.view.onSliceStep = (delta) => {
        this.cursor[v.index] = Math.max(0, Math.min(this.shape[v.index] - 1, this.cursor[v.index] + delta));
        this.cursorChanged(new Set([v.axis]));
      };
      v.view.onHover = (row, col) => {
        const zyx = [...this.cursor] as [number, number, number];
        zyx[v.rows] = row;
        zyx[v.cols] = col;
        this.onStatus(this.readout(v, row, col, zyx));
      };
      v.view.onViewChange = () => {
        // Linked zoom: the other slice views take the same µm per screen pixel (each keeps its own centre).
        if (this.store.state.linkZoom)
          for (const o of this.views) if (o !== v) o.view.setUmPerPixel(v.view.umPerPixel());
        const linked = this.store.state.linkZoom ? this.views : [v];
        this.store.update({
          views: {
            ...this.store.state.views,
            ...Object.fromEntries(linked.map((o) => [o.view.opts.name, o.view.getView()])),
          },
        });
      };
    }
    this.volume.onCameraChange = () =>
      this.store.update({ volume3d: { ...this.volume3dState(), camera: this.volume.getCamera() } });
  }

  /** "z 24 y 50 x 31 (µm …) · observed 21038 · predicted 20650 · uncertainty 1210": values in the scan's units. */
  private readout(v: AxisView, row: number, col: number, zyx: [number, number, number]): string {
    const um = voxelSizeAt(this.base, this.level);
    const parts = [
      `z ${zyx[0]} y ${zyx[1]} x ${zyx[2]} (${zyx.map((i, k) => ((i + 0.5) * um[k]!).toFixed(0)).join(', ')} µm)`,
    ];
    for (const l of this.layers) {
      const value = v.view.valueAt(l.key, row, col);
      if (value !== undefined) parts.push(`${l.role} ${formatValue(l, value)}`);
    }
    return parts.join(' · ');
  }

  /** Step the crosshair along z (0), y (1) or x (2): the Compare tab steps through this same cursor. */
  stepCursor(index: 0 | 1 | 2, delta: number): void {
    this.cursor[index] = Math.max(0, Math.min(this.shape[index] - 1, this.cursor[index] + delta));
    this.cursorChanged(new Set(this.views.filter((v) => v.index === index).map((v) => v.axis)));
  }

  private cursorChanged(axes: Set<Axis>): void {
    this.store.update({ cursor: [...this.cursor] });
    void this.loadSlices(axes);
    if ((this.store.state.volume3d?.source ?? 'level') === 'crosshair') this.load3dSoon();
  }

  /** Fetch the slices of the visible layers along `axes` (all by default); a newer request cancels an older one. */
  async loadSlices(axes?: Set<Axis>): Promise<void> {
    await Promise.all(
      this.views.map(async (v) => {
        if (axes && !axes.has(v.axis)) {
          this.decorate(v);
          return;
        }
        v.controller?.abort();
        const controller = new AbortController();
        v.controller = controller;
        const index = this.cursor[v.index];
        try {
          const placements = this.layers.map((l) => placementOf(l.record, this.base, this.level));
          const planes = await Promise.all(
            this.layers.map((l, i) => {
              const k = layerIndex(placements[i]!, v.index, index);
              if (!l.visible || k === undefined) return Promise.resolve(null);
              return this.api.slice(l.record.id, v.axis, k, placements[i]!.level, controller.signal);
            }),
          );
          if (controller.signal.aborted) return;
          this.layers.forEach((l, i) => {
            const p = planes[i];
            if (p && l.autoWindow) {
              l.window = autoContrast(p.data);
              l.autoWindow = false;
              this.buildLayerList();
            }
            // A hidden layer keeps its last plane; a layer that does not reach this slice shows nothing.
            const plane = p ?? (l.visible ? null : undefined);
            v.view.setLayer(l.key, plane, styleOf(l), i, extentOf(placements[i]!, v.rows, v.cols));
          });
          this.decorate(v);
          // The histograms are of the first view's slice (XY).
          if (v === this.views[0]) for (const row of this.rows.values()) row.refresh();
          this.volume.setStyle({ window: this.volumeLayer().window, colormap: this.volumeLayer().colormap });
        } catch (e) {
          if (!controller.signal.aborted) this.onStatus(`slice failed: ${(e as Error).message}`);
        }
      }),
    );
  }

  private decorate(v: AxisView): void {
    v.view.setCrosshair([this.cursor[v.rows], this.cursor[v.cols]]);
    v.view.container.dataset.slice = String(this.cursor[v.index]);
    const names = ['z', 'y', 'x'];
    v.view.setInfo(
      `${v.view.opts.name.toUpperCase()} · ${names[v.index]} ${this.cursor[v.index]}/${this.shape[v.index] - 1} · ${this.base.name}${this.level ? ` · level ${this.level}` : ''}`,
    );
  }

  /** Re-apply styles after a control changed (no refetch unless a hidden layer became visible). */
  refreshStyles(): void {
    let needData = false;
    for (const v of this.views)
      this.layers.forEach((l, i) => {
        if (l.visible && !v.view.planeOf(l.key)) needData = true;
        v.view.setLayer(l.key, undefined, styleOf(l), i);
      });
    if (needData) void this.loadSlices();
    this.volume.setStyle({ window: this.volumeLayer().window, colormap: this.volumeLayer().colormap });
    this.store.update({
      layers: { ...this.store.state.layers, ...Object.fromEntries(this.layers.map((l) => [l.key, styleOf(l)])) },
    });
  }

  private readonly rows = new Map<string, LayerRow>();

  private rowFor(l: Layer): LayerRow {
    const row = layerControls(
      l,
      () => this.refreshStyles(),
      () => this.views[0]!.view.planeOf(l.key)?.data,
    );
    this.rows.set(l.key, row);
    return row;
  }

  private buildLayerList(): void {
    this.rows.clear();
    this.layerList.replaceChildren(...this.layers.map((l) => this.rowFor(l)));
  }

  private volume3dState() {
    return { mode: 'mip' as const, source: 'level' as const, density: 1, ...this.store.state.volume3d };
  }

  /** The layer the 3-D view renders: the saved choice if it still exists, else the scan. */
  volumeLayer(): Layer {
    const key = this.volume3dState().layer;
    return this.layers.find((l) => l.key === key) ?? this.layers[0]!;
  }

  private buildVolumeControls(): void {
    const s = this.volume3dState();
    const set = (patch: Partial<ReturnType<VolumePanel['volume3dState']>>, reload = false) => {
      this.store.update({ volume3d: { ...this.volume3dState(), ...patch } });
      this.volume.setStyle({ mode: this.volume3dState().mode, density: this.volume3dState().density });
      if (reload) void this.load3d();
    };
    const mode = h(
      'select',
      {
        className: 'render-mode',
        title: 'MIP: brightest voxel along each ray; DVR: voxels blended through a transfer function',
        onchange: (e: Event) => set({ mode: (e.target as HTMLSelectElement).value as 'mip' | 'dvr' }),
      },
      h('option', { value: 'mip', selected: s.mode === 'mip' }, 'MIP'),
      h('option', { value: 'dvr', selected: s.mode === 'dvr' }, 'DVR (transfer function)'),
    );
    const source = h(
      'select',
      {
        className: 'render-source',
        title: 'what the 3-D view loads: the whole record at a coarse level, or a full-resolution box at the crosshair',
        onchange: (e: Event) => set({ source: (e.target as HTMLSelectElement).value as 'level' | 'crosshair' }, true),
      },
      h('option', { value: 'level', selected: s.source === 'level' }, `whole record, coarse level`),
      h('option', { value: 'crosshair', selected: s.source === 'crosshair' }, `${MAX_3D_SIDE}³ box at the crosshair`),
    );
    // Any layer of the volume tab can be rendered in 3-D: the scan, the model's predicted values, its uncertainty.
    const layer = h(
      'select',
      {
        className: 'render-layer',
        title: 'which layer the 3-D view renders',
        onchange: (e: Event) => set({ layer: (e.target as HTMLSelectElement).value }, true),
      },
      ...this.layers.map((l) =>
        h('option', { value: l.key, selected: l === this.volumeLayer() }, `${l.role}: ${l.key}`),
      ),
    );
    const density = h('input', {
      type: 'range',
      min: '0.1',
      max: '4',
      step: '0.1',
      value: String(s.density),
      className: 'density',
      title: 'opacity of the volume rendering (DVR)',
      oninput: (e: Event) => set({ density: Number((e.target as HTMLInputElement).value) }),
    });
    this.volumeControls.replaceChildren(
      h('div', { className: 'layer-row' }, 'render ', mode),
      h('div', { className: 'layer-row' }, 'layer ', layer),
      h('div', { className: 'layer-row' }, 'data ', source),
      h('div', { className: 'layer-row' }, 'density ', density),
      h(
        'label',
        { className: 'layer-row' },
        h('input', {
          type: 'checkbox',
          className: 'show-mesh',
          title: 'draw the segment mesh in the 3-D view',
          checked: true,
          onchange: (e: Event) => this.volume.setMeshVisible((e.target as HTMLInputElement).checked),
        }),
        ' segment mesh',
      ),
      h(
        'button',
        { title: 'put the 3-D camera back where it started', onclick: () => this.volume.resetCamera() },
        'reset camera',
      ),
    );
  }

  private load3dTimer?: ReturnType<typeof setTimeout>;
  private meshText?: string;
  /** Reload the 3-D box once the crosshair stops moving (wheel slicing must not refetch 2 MiB per step). */
  private load3dSoon(): void {
    clearTimeout(this.load3dTimer);
    this.load3dTimer = setTimeout(() => void this.load3d(), 350);
  }

  private load3dController?: AbortController;

  /** Load the 3-D view's volume: the finest level that fits MAX_3D_SIDE, or a box around the crosshair. */
  async load3d(): Promise<void> {
    this.load3dController?.abort();
    const controller = new AbortController();
    this.load3dController = controller;
    const s = this.volume3dState();
    const shown = this.volumeLayer();
    const rec = shown.record;
    // A layer on the scan's own grid (a whole-record prediction) shares its boxes and its mesh placement; one that
    // covers another box or sampling is shown whole, at its own coarse level.
    const sameGrid = rec === this.base || rec.levelShapes[this.level]?.every((n, i) => n === this.shape[i]);
    this.volume.setStyle({ mode: s.mode, density: s.density, window: shown.window, colormap: shown.colormap });
    try {
      let vol;
      if (s.source === 'crosshair' && sameGrid) {
        const box = this.cursor.map((c, i) => {
          const n = this.shape[i]!;
          const side = Math.min(n, MAX_3D_SIDE);
          const start = Math.max(0, Math.min(n - side, c - (side >> 1)));
          return [start, start + side] as [number, number];
        });
        vol = await this.api.region(rec.id, this.level, { z: box[0]!, y: box[1]!, x: box[2]! }, controller.signal);
      } else {
        vol = await this.api.region(rec.id, pickLevel(rec.levelShapes, MAX_3D_SIDE), undefined, controller.signal);
      }
      if (controller.signal.aborted) return;
      this.volume.setVolume(vol, voxelSizeAt(sameGrid || !rec.voxelSizeUm ? this.base : rec, vol.level)[2], rec.name);
      if (s.camera) this.volume.setCamera(s.camera);
      // The mesh: fetched once, parsed once (VolumeView keeps it), moved with the box.
      const seg = this.records.find((r) => r.scroll === this.base.scroll && r.modality === 'segment-layers');
      if (seg && sameGrid) {
        this.meshText ??= (await this.api.attachmentText(seg.id, 'mesh.obj')) ?? '';
        this.volume.setMesh(this.meshText || undefined, vol.level);
      } else this.volume.setMesh(undefined);
    } catch (e) {
      if (!controller.signal.aborted) this.onStatus(`3D failed: ${(e as Error).message}`);
    }
  }

  async screenshot(name: string): Promise<void> {
    const blob =
      name === '3d'
        ? await this.volume.screenshot()
        : await this.views.find((v) => v.view.opts.name === name)!.view.screenshot();
    this.onScreenshot(blob, `aunn-${name}`);
  }

  planeAt(axis: Axis, key: string): Plane | undefined {
    return this.views.find((v) => v.axis === axis)?.view.planeOf(key);
  }
}
