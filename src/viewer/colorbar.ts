/**
 * A colorbar: the colormap from a window's low to its high end, as the views draw it, with the ends and the middle
 * labelled in the caller's units (the scan's values, a probability, a residual).
 *
 *   const bar = colorbar('colour scale of the residual');
 *   bar.set('inferno', [0, 40], (b) => formatValue(layer, b));
 */
import { colormapLUT, type ColormapName } from './colormaps.js';
import { h } from './dom.js';

const W = 200;
const H = 8;

export type Colorbar = HTMLElement & {
  set: (colormap: ColormapName, window: [number, number], format: (byte: number) => string) => void;
};

export function colorbar(title: string): Colorbar {
  const strip = h('canvas', { className: 'colorbar-strip', width: W, height: H });
  const ticks = [0, 1, 2].map(() => h('span', { className: 'num' }, ''));
  const root = h('div', { className: 'colorbar', title }, strip, h('div', { className: 'colorbar-ticks' }, ...ticks));
  return Object.assign(root, {
    set: (colormap: ColormapName, window: [number, number], format: (byte: number) => string) => {
      const ctx = strip.getContext('2d');
      if (ctx) {
        const lut = colormapLUT(colormap);
        const img = ctx.createImageData(W, H);
        for (let x = 0; x < W; x++) {
          const k = Math.round((x / (W - 1)) * 255) * 4;
          for (let y = 0; y < H; y++) {
            const o = (y * W + x) * 4;
            img.data.set([lut[k]!, lut[k + 1]!, lut[k + 2]!, Math.max(lut[k + 3]!, 64)], o);
          }
        }
        ctx.putImageData(img, 0, 0);
      }
      const [lo, hi] = window;
      [lo, (lo + hi) / 2, hi].forEach((b, i) => (ticks[i]!.textContent = format(b)));
      root.dataset.colormap = colormap;
      root.dataset.lo = format(lo);
      root.dataset.hi = format(hi);
    },
  });
}
