/**
 * The segment tab: the unrolled surface layers 00..64 of a segment with a layer slider (flip for reversed depth),
 * ink labels, predicted ink (opacity, threshold), the mask, and the letters read, when a readings JSON names the
 * segment.
 *
 *   const seg = new SegmentPanel(el, api, records, store, setStatus, saveShot);
 *   await seg.ready;
 */
import type { ApiClient, RecordInfo } from './api.js';
import { autoContrast } from './colormaps.js';
import { h } from './dom.js';
import { layerControls, type LayerRow } from './layer-controls.js';
import { formatValue, layerFor, styleOf, voxelSizeAt, type Layer } from './layers.js';
import { lettersIn, readingFor, type PlacedLetter } from './readings.js';
import { SliceView } from './slice-view.js';
import type { ViewStore } from './state.js';

export class SegmentPanel {
  readonly view: SliceView;
  readonly groups: string[];
  group?: string;
  layersRecord?: RecordInfo;
  layers: Layer[] = [];
  letters: PlacedLetter[] = [];
  layer = 32;
  flip = false;
  ready: Promise<void>;
  private readonly side: HTMLElement;
  private controller?: AbortController;
  private readonly rows = new Map<string, LayerRow>();
  private generation = 0;
  /** Called when the user picks another segment (the reading tab follows). */
  onChoose?: (group: string) => void;

  constructor(
    readonly root: HTMLElement,
    readonly api: ApiClient,
    readonly records: RecordInfo[],
    readonly store: ViewStore,
    readonly onStatus: (text: string) => void,
    readonly onScreenshot: (blob: Blob, name: string) => void,
  ) {
    this.groups = [...new Set(records.filter((r) => r.modality === 'segment-layers').map((r) => r.group ?? r.name))];
    const saved = store.state.segment;
    this.layer = saved?.layer ?? 32;
    this.flip = saved?.flip ?? false;
    this.side = h('aside', { className: 'side' });
    const host = h('div', { className: 'view-host' });
    const cell = h(
      'div',
      { className: 'cell single' },
      host,
      h(
        'button',
        { className: 'shot', 'data-shot': 'segment', title: 'screenshot (PNG)', onclick: () => void this.screenshot() },
        'PNG',
      ),
    );
    root.append(this.side, cell);
    this.view = new SliceView(host, { name: 'segment' });
    this.view.drawOverlay = (ctx, toScreen, pxPerPixel) => this.drawLetters(ctx, toScreen, pxPerPixel);
    this.view.onSliceStep = (d) => this.setLayer(this.layer + d);
    this.view.onHover = (row, col) => {
      const parts = [`row ${row} col ${col} · layer ${this.displayLayer()}`];
      for (const l of this.layers) {
        const v = this.view.valueAt(l.key, row, col);
        if (v !== undefined) parts.push(`${l.role} ${formatValue(l, v)}`);
      }
      this.onStatus(parts.join(' · '));
    };
    this.view.onViewChange = (t) => this.store.update({ views: { ...this.store.state.views, segment: t } });
    const chosen = saved?.group && this.groups.includes(saved.group) ? saved.group : this.groups[0];
    this.ready = chosen
      ? this.choose(chosen)
      : Promise.resolve(this.view.setInfo('no segment in this corpus yet — ingest one (layers 00..64)'));
  }

  /** The layer number shown to the user (flipped when the segment's depth runs the other way). */
  displayLayer(): number {
    return this.layer;
  }

  private storedIndex(): number {
    const depth = this.layersRecord ? this.layersRecord.levelShapes[0]![0] : 65;
    return this.flip ? depth - 1 - this.layer : this.layer;
  }

  async choose(group: string): Promise<void> {
    // Nothing of the segment shown before may stay: its planes, its letters, a fetch still on its way.
    this.controller?.abort();
    const generation = ++this.generation;
    this.letters = [];
    this.group = group;
    this.layersRecord = this.records.find((r) => r.modality === 'segment-layers' && (r.group ?? r.name) === group)!;
    const others = this.records.filter(
      (r) =>
        r !== this.layersRecord &&
        (r.group === group || r.prediction?.of === this.layersRecord!.name) &&
        (r.modality === 'ink-labels' ||
          r.modality === 'mask' ||
          r.modality === 'photo' ||
          r.prediction?.kind === 'ink' ||
          r.prediction?.kind === 'rendered-layers'),
    );
    const order = (l: Layer) => ['surface', 'photo', 'predicted', 'observed', 'mask', 'labels', 'ink'].indexOf(l.role);
    this.layers = [this.layersRecord, ...others]
      .map((r) => layerFor(r, this.store.state.layers?.[r.name]))
      .sort((a, b) => order(a) - order(b));
    this.view.removeLayersExcept(new Set());
    const [depth, H, W] = this.layersRecord.levelShapes[0]!;
    this.layer = Math.min(this.layer, depth - 1);
    // Layers sampled along the mesh are one scan voxel apart: without their own voxel size, use the scan's.
    const scan = this.records.find(
      (r) => r.scroll === this.layersRecord!.scroll && r.modality === 'scan' && r.voxelSizeUm,
    );
    const um = this.layersRecord.voxelSizeUm || !scan ? voxelSizeAt(this.layersRecord, 0) : scan.voxelSizeUm!;
    this.view.setGrid(H, W, [um[1], um[2]]);
    const savedView = this.store.state.views?.segment;
    if (savedView) this.view.setView(savedView);
    this.buildSide();
    this.store.update({ segment: { group: this.group, layer: this.layer, flip: this.flip } });
    this.onChoose?.(group);
    await Promise.all([this.loadLayers(), this.loadLetters(generation)]);
  }

  setLayer(k: number): void {
    const depth = this.layersRecord?.levelShapes[0]![0] ?? 65;
    this.layer = Math.max(0, Math.min(depth - 1, k));
    const slider = this.side.querySelector<HTMLInputElement>('input.layer-slider');
    if (slider) slider.value = String(this.layer);
    const label = this.side.querySelector('.layer-number');
    if (label) label.textContent = String(this.layer).padStart(2, '0');
    this.store.update({ segment: { group: this.group, layer: this.layer, flip: this.flip } });
    void this.loadLayers(true);
  }

  /** Fetch the surface layer shown (and, unless `surfaceOnly`, the 2-D overlays). */
  async loadLayers(surfaceOnly = false): Promise<void> {
    if (!this.layersRecord) return;
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    try {
      const planes = await Promise.all(
        this.layers.map((l) => {
          if (surfaceOnly && l.record !== this.layersRecord) return Promise.resolve(undefined);
          if (!l.visible && l.record !== this.layersRecord) return Promise.resolve(undefined);
          const depth = l.record.levelShapes[0]![0];
          const index = l.record === this.layersRecord || depth > 1 ? Math.min(depth - 1, this.storedIndex()) : 0;
          return this.api.slice(l.record.id, 'z', index, 0, controller.signal);
        }),
      );
      if (controller.signal.aborted) return;
      this.layers.forEach((l, i) => {
        const p = planes[i];
        if (p && l.autoWindow) {
          l.window = autoContrast(p.data);
          l.autoWindow = false;
          this.buildSide();
        }
        this.view.setLayer(l.key, p, styleOf(l), i);
      });
      this.view.setInfo(this.infoLine());
      for (const row of this.rows.values()) row.refresh();
      this.root.dataset.segment = this.group ?? '';
      this.root.dataset.shownLayers = this.layers
        .filter((l) => this.view.planeOf(l.key))
        .map((l) => l.key)
        .join(',');
    } catch (e) {
      if (!controller.signal.aborted) this.onStatus(`segment failed: ${(e as Error).message}`);
    }
  }

  private async loadLetters(generation: number): Promise<void> {
    const group = this.group!;
    let letters: PlacedLetter[] = [];
    try {
      const found = await readingFor(
        await this.api.readings(),
        (f) => this.api.fileJson<unknown>(f),
        group,
        this.layersRecord!.name,
      );
      if (found) letters = lettersIn(found.json);
    } catch (e) {
      console.warn('readings not loaded', e);
    }
    if (generation !== this.generation) return; // another segment was chosen meanwhile
    this.letters = letters;
    this.root.dataset.letters = String(letters.length);
    this.view.setInfo(this.infoLine());
    this.view.requestRender();
  }

  private infoLine(): string {
    return `${this.group} · layer ${String(this.layer).padStart(2, '0')}${this.flip ? ' (flipped)' : ''}${this.letters.length ? ` · ${this.letters.length} letters read` : ''}`;
  }

  private drawLetters(
    ctx: CanvasRenderingContext2D,
    toScreen: (row: number, col: number) => [number, number],
    pxPerPixel: number,
  ): void {
    const show =
      (this.side.querySelector<HTMLInputElement>('input.show-letters')?.checked ?? true) && this.letters.length > 0;
    if (!show) return;
    ctx.save();
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (const l of this.letters) {
      const [x, y] = toScreen(l.y + l.h / 2, l.x + l.w / 2);
      const size = Math.max(10, Math.min(48, (l.h || 10) * pxPerPixel * 0.9));
      ctx.font = `${size}px "Noto Serif", "Times New Roman", serif`;
      ctx.fillStyle = l.restored ? 'rgba(120,200,255,0.95)' : `rgba(255,255,120,${0.5 + 0.5 * (l.confidence ?? 1)})`;
      ctx.fillText(l.char, x, y);
    }
    ctx.restore();
  }

  refreshStyles(): void {
    let needData = false;
    this.layers.forEach((l, i) => {
      if (l.visible && !this.view.planeOf(l.key)) needData = true;
      this.view.setLayer(l.key, undefined, styleOf(l), i);
    });
    if (needData) void this.loadLayers();
    this.store.update({
      layers: { ...this.store.state.layers, ...Object.fromEntries(this.layers.map((l) => [l.key, styleOf(l)])) },
    });
  }

  private buildSide(): void {
    this.rows.clear();
    const depth = this.layersRecord?.levelShapes[0]![0] ?? 65;
    const groupSelect = h('select', {
      className: 'segment-select',
      title: 'the segment shown (its layers, labels, ink and reading only)',
      onchange: (e: Event) => void this.choose((e.target as HTMLSelectElement).value),
    });
    for (const g of this.groups) groupSelect.append(h('option', { value: g, selected: g === this.group }, g));
    this.side.replaceChildren(
      h('h3', {}, 'Segment'),
      groupSelect,
      h(
        'div',
        { className: 'layer-row' },
        'layer ',
        h('input', {
          type: 'range',
          min: '0',
          max: String(depth - 1),
          value: String(this.layer),
          className: 'layer-slider',
          title: 'surface layer (00..64; 32 is on the papyrus surface); wheel or ↑ ↓ on the view',
          oninput: (e: Event) => this.setLayer(Number((e.target as HTMLInputElement).value)),
        }),
        h('b', { className: 'layer-number' }, String(this.layer).padStart(2, '0')),
      ),
      h(
        'label',
        { className: 'layer-row' },
        h('input', {
          type: 'checkbox',
          className: 'flip',
          title: 'the segment was traced from the other side: count the layers the other way',
          checked: this.flip,
          onchange: (e: Event) => {
            this.flip = (e.target as HTMLInputElement).checked;
            this.setLayer(this.layer);
          },
        }),
        ' flip depth (reversed segment)',
      ),
      h(
        'label',
        { className: 'layer-row' },
        h('input', {
          type: 'checkbox',
          className: 'show-letters',
          title: 'draw the letters read on the segment (brighter when surer; blue: supplied by the language model)',
          checked: true,
          onchange: () => this.view.requestRender(),
        }),
        ' letters read',
      ),
      h('h3', {}, 'Layers'),
      ...this.layers.map((l) => {
        const row = layerControls(
          l,
          () => this.refreshStyles(),
          () => this.view.planeOf(l.key)?.data,
        );
        this.rows.set(l.key, row);
        return row;
      }),
    );
  }

  async screenshot(): Promise<void> {
    this.onScreenshot(await this.view.screenshot(), 'aunn-segment');
  }
}
