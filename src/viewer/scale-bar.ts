/**
 * A scale bar in physical units: picks a round length (1, 2 or 5 × 10^k µm, shown in mm past 1000 µm) near a
 * fifth of the view's width and draws it with its label. Used on screen and in every screenshot.
 *
 *   drawScaleBar(ctx, widthPx, heightPx, umPerPx);
 */
export function niceLength(targetUm: number): number {
  const exp = Math.floor(Math.log10(targetUm));
  const base = 10 ** exp;
  for (const m of [5, 2, 1]) if (m * base <= targetUm) return m * base;
  return base;
}

export function formatLength(um: number): string {
  if (um >= 1000) return `${+(um / 1000).toPrecision(3)} mm`;
  if (um < 1) return `${+(um * 1000).toPrecision(3)} nm`;
  return `${+um.toPrecision(3)} µm`;
}

/** Draw the bar at the bottom-left of a canvas of `width`×`height` px where one px is `umPerPx` µm. */
export function drawScaleBar(
  ctx: CanvasRenderingContext2D,
  width: number,
  height: number,
  umPerPx: number,
  dpr = 1,
): void {
  if (!(umPerPx > 0) || !Number.isFinite(umPerPx)) return;
  const lengthUm = niceLength((width / 5) * umPerPx);
  const px = lengthUm / umPerPx;
  const x = 12 * dpr;
  const y = height - 14 * dpr;
  ctx.save();
  ctx.fillStyle = 'rgba(0,0,0,0.55)';
  ctx.fillRect(x - 6 * dpr, y - 20 * dpr, px + 12 * dpr, 28 * dpr);
  ctx.fillStyle = '#fff';
  ctx.fillRect(x, y, px, 3 * dpr);
  ctx.font = `${12 * dpr}px system-ui, sans-serif`;
  ctx.textBaseline = 'bottom';
  ctx.fillText(formatLength(lengthUm), x, y - 3 * dpr);
  ctx.restore();
}
