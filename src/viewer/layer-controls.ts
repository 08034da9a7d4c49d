/**
 * The layer list's controls (napari's layer panel): visibility, opacity, colormap, window lo/hi with presets, the
 * shown slice's histogram with a draggable window and a colorbar, and a threshold for overlays. Window numbers are
 * in the scan's own units (the record's window at ingest). Calls `onChange` after every edit; the caller
 * re-renders and saves the state, and calls the row's `refresh()` when the shown slice changed.
 *
 *   list.append(layerControls(layer, () => panel.refreshStyles(), () => view.planeOf(layer.key)?.data));
 */
import { COLORMAPS, type ColormapName } from './colormaps.js';
import { h } from './dom.js';
import { PRESETS, presetWindow, windowHistogram, type PresetName } from './histogram.js';
import { formatValue, type Layer } from './layers.js';

export type LayerRow = HTMLElement & { syncWindow: () => void; refresh: () => void };

export function layerControls(layer: Layer, onChange: () => void, plane?: () => Uint8Array | undefined): LayerRow {
  const slug = layer.key.replace(/[^\w]+/g, '-');
  const lo = h('input', {
    type: 'range',
    min: '0',
    max: '255',
    value: String(layer.window[0]),
    className: 'win-lo',
    title: 'window low: values below show black (in the scan’s units)',
  });
  const hi = h('input', {
    type: 'range',
    min: '0',
    max: '255',
    value: String(layer.window[1]),
    className: 'win-hi',
    title: 'window high: values above show white (in the scan’s units)',
  });
  // The sliders move over stored bytes; the numbers shown are the scan's own values (its window at ingest).
  const loText = h('span', { className: 'num' }, formatValue(layer, layer.window[0]));
  const hiText = h('span', { className: 'num' }, formatValue(layer, layer.window[1]));
  let histogram: ReturnType<typeof windowHistogram> | undefined;
  const sync = () => {
    lo.value = String(layer.window[0]);
    hi.value = String(layer.window[1]);
    loText.textContent = formatValue(layer, layer.window[0]);
    hiText.textContent = formatValue(layer, layer.window[1]);
    histogram?.sync();
  };
  const setWindow = (w: [number, number]) => {
    layer.window = w;
    layer.autoWindow = false;
    sync();
    onChange();
  };
  const onWindow = () => {
    let a = Number(lo.value);
    let b = Number(hi.value);
    if (b <= a) {
      if (document.activeElement === lo) a = b - 1;
      else b = a + 1;
    }
    setWindow([Math.max(0, a), Math.min(255, b)]);
  };
  lo.oninput = onWindow;
  hi.oninput = onWindow;
  const colormap = h('select', {
    className: 'colormap',
    title: 'colour map of this layer',
    onchange: (e: Event) => {
      layer.colormap = (e.target as HTMLSelectElement).value as ColormapName;
      histogram?.sync();
      onChange();
    },
  });
  for (const c of COLORMAPS) colormap.append(h('option', { value: c, selected: c === layer.colormap }, c));
  const row = h(
    'div',
    { className: 'layer', 'data-layer': layer.key, 'data-role': layer.role, id: `layer-${slug}` },
    h(
      'label',
      { className: 'layer-name', title: `show or hide ${layer.key}` },
      h('input', {
        type: 'checkbox',
        className: 'visible',
        title: `show or hide ${layer.key}`,
        checked: layer.visible,
        onchange: (e: Event) => {
          layer.visible = (e.target as HTMLInputElement).checked;
          onChange();
        },
      }),
      ` ${layer.key} `,
      h('small', {}, layer.role),
    ),
    h(
      'div',
      { className: 'layer-row' },
      'opacity ',
      h('input', {
        type: 'range',
        min: '0',
        max: '1',
        step: '0.05',
        value: String(layer.opacity),
        className: 'opacity',
        title: 'opacity of this layer over the ones below',
        oninput: (e: Event) => {
          layer.opacity = Number((e.target as HTMLInputElement).value);
          onChange();
        },
      }),
      colormap,
    ),
    h('div', { className: 'layer-row' }, 'window ', lo, loText, hi, hiText),
  );
  if (plane) {
    const preset = h(
      'select',
      {
        className: 'preset',
        title: 'window presets, computed on the shown slice',
        onchange: () => {
          const w = presetWindow(preset.value as PresetName, plane());
          preset.value = '';
          if (w) setWindow(w);
        },
      },
      h('option', { value: '' }, 'preset…'),
      ...PRESETS.map((p) => h('option', { value: p.name, title: p.title }, p.label)),
    );
    row.querySelector('.layer-row:last-child')!.append(preset);
    histogram = windowHistogram(layer, plane, setWindow);
    row.append(histogram);
  }
  if (layer.role === 'ink' || layer.role === 'labels' || layer.role === 'mask') {
    row.append(
      h(
        'div',
        { className: 'layer-row' },
        'threshold ',
        h('input', {
          type: 'range',
          min: '0',
          max: '255',
          value: String(layer.threshold),
          className: 'threshold',
          title: 'values below this are transparent (for ink: the probability × 255 the mask starts at)',
          oninput: (e: Event) => {
            layer.threshold = Number((e.target as HTMLInputElement).value);
            onChange();
          },
        }),
      ),
    );
  }
  return Object.assign(row, { syncWindow: sync, refresh: () => histogram?.refresh() });
}
