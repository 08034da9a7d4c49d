/**
 * A layer's intensity histogram with its window drawn over it, draggable (an edge moves that end, the middle
 * moves both), window presets, and the colorbar of the layer's colormap over its window. Numbers are the
 * scan's own units (`formatValue`); the bins are the stored bytes of the shown slice.
 *
 *   const hist = histogram256(plane.data);
 *   layer.window = dragWindow([40, 200], 'lo', -10);   // [30, 200]
 *   layer.window = presetWindow('tight', plane.data);
 */
import { colorbar } from './colorbar.js';
import { autoContrast } from './colormaps.js';
import { h } from './dom.js';
import { formatValue, type Layer } from './layers.js';

export function histogram256(data: Uint8Array): Uint32Array {
  const hist = new Uint32Array(256);
  for (let i = 0; i < data.length; i++) hist[data[i]!]!++;
  return hist;
}

export type Grab = 'lo' | 'hi' | 'both';

/** What a press at byte `at` takes hold of: an edge within `tolerance` bytes, else the whole window. */
export function grabAt(window: [number, number], at: number, tolerance = 8): Grab {
  const dLo = Math.abs(at - window[0]);
  const dHi = Math.abs(at - window[1]);
  if (Math.min(dLo, dHi) > tolerance) return 'both';
  return dLo <= dHi ? 'lo' : 'hi';
}

/** The window after dragging `grab` by `delta` bytes: kept inside 0..255 with hi > lo. */
export function dragWindow(window: [number, number], grab: Grab, delta: number): [number, number] {
  let [lo, hi] = window;
  const d = Math.round(delta);
  if (grab === 'both') {
    const shift = Math.max(-lo, Math.min(255 - hi, d));
    return [lo + shift, hi + shift];
  }
  if (grab === 'lo') lo = Math.max(0, Math.min(hi - 1, lo + d));
  else hi = Math.min(255, Math.max(lo + 1, hi + d));
  return [lo, hi];
}

export const PRESETS = [
  { name: 'auto', label: 'auto 0.5–99.5 %', title: 'the 0.5 and 99.5 percentiles of the shown slice' },
  { name: 'tight', label: 'tight 2–98 %', title: 'the 2 and 98 percentiles: more contrast, some clipping' },
  { name: 'minmax', label: 'slice min–max', title: 'the darkest and brightest value of the shown slice' },
  { name: 'full', label: 'full range', title: 'everything stored (for ink: probability 0 to 1)' },
] as const;
export type PresetName = (typeof PRESETS)[number]['name'];

export function presetWindow(name: PresetName, data?: Uint8Array): [number, number] | undefined {
  if (name === 'full') return [0, 255];
  if (!data || data.length === 0) return undefined;
  if (name === 'auto') return autoContrast(data);
  if (name === 'tight') return autoContrast(data, 2, 98);
  return autoContrast(data, 0, 100);
}

const W = 200;
const H = 44;

/**
 * The histogram (log counts) with the window shaded and its edges as handles, and a colorbar below with the
 * window's ends and middle in the scan's units. `plane()` gives the shown slice; call `refresh()` after it
 * changed and `sync()` after the window changed elsewhere.
 */
export function windowHistogram(
  layer: Layer,
  plane: () => Uint8Array | undefined,
  onWindow: (w: [number, number]) => void,
): HTMLElement & { refresh: () => void; sync: () => void } {
  const canvas = h('canvas', {
    className: 'histogram',
    width: W,
    height: H,
    title: 'histogram of the shown slice: drag an edge to move that end of the window, the middle to move both',
  });
  const bar = colorbar(`colour scale of ${layer.key} over its window`);
  let hist: Uint32Array | undefined;

  const draw = () => {
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, W, H);
    const [lo, hi] = layer.window;
    ctx.fillStyle = 'rgba(120,160,255,0.18)';
    ctx.fillRect((lo / 255) * W, 0, ((hi - lo) / 255) * W, H);
    if (hist) {
      let max = 1;
      for (const c of hist) max = Math.max(max, c);
      ctx.fillStyle = '#bbb';
      for (let b = 0; b < 256; b++) {
        const v = hist[b]! > 0 ? Math.log1p(hist[b]!) / Math.log1p(max) : 0;
        ctx.fillRect((b / 256) * W, H - v * H, W / 256 + 0.5, v * H);
      }
    }
    ctx.fillStyle = '#ffcc33';
    for (const e of [lo, hi]) ctx.fillRect((e / 255) * W - 1, 0, 2, H);
    bar.set(layer.colormap, layer.window, (b) => formatValue(layer, b));
  };

  const byteAt = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect();
    return ((e.clientX - r.left) / Math.max(1, r.width)) * 255;
  };
  let drag: { grab: Grab; from: number; start: [number, number] } | undefined;
  canvas.addEventListener('pointerdown', (e) => {
    const at = byteAt(e);
    drag = { grab: grabAt(layer.window, at), from: at, start: [...layer.window] };
    canvas.setPointerCapture?.(e.pointerId);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drag) return;
    onWindow(dragWindow(drag.start, drag.grab, byteAt(e) - drag.from));
    draw();
  });
  const end = () => (drag = undefined);
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);

  const root = Object.assign(h('div', { className: 'window-histogram' }, canvas, bar), {
    refresh: () => {
      const data = plane();
      hist = data ? histogram256(data) : undefined;
      draw();
    },
    sync: draw,
  });
  root.refresh();
  return root;
}
