/**
 * A line chart on a 2-D canvas for the training dashboard (loss and held-out PSNR against step or time).
 *
 *   drawChart(canvas, [{ label: 'loss', color: '#f80', points: [[0, 2.1], [10, 1.7]] }], { logY: true });
 */
export interface Series {
  label: string;
  color: string;
  points: [number, number][];
}

export function drawChart(
  canvas: HTMLCanvasElement,
  series: Series[],
  opts: { logY?: boolean; title?: string } = {},
): void {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, canvas.clientWidth * dpr);
  const hgt = Math.max(1, canvas.clientHeight * dpr);
  if (canvas.width !== w || canvas.height !== hgt) {
    canvas.width = w;
    canvas.height = hgt;
  }
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, w, hgt);
  ctx.fillStyle = '#15151b';
  ctx.fillRect(0, 0, w, hgt);
  const pad = 36 * dpr;
  const f = (y: number) => (opts.logY ? Math.log10(Math.max(y, 1e-9)) : y);
  const all = series.flatMap((s) => s.points);
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.fillStyle = '#aaa';
  if (opts.title) ctx.fillText(opts.title, pad, 14 * dpr);
  if (all.length === 0) {
    ctx.fillText('no data yet', pad, hgt / 2);
    return;
  }
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => f(p[1]));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1e-9);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  if (y1 - y0 < 1e-9) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const X = (x: number) => pad + ((x - x0) / (x1 - x0)) * (w - 1.5 * pad);
  const Y = (y: number) => hgt - pad + ((f(y) - y0) / (y1 - y0)) * -(hgt - 1.6 * pad);
  ctx.strokeStyle = '#444';
  ctx.strokeRect(pad, 0.6 * pad, w - 1.5 * pad, hgt - 1.6 * pad);
  ctx.fillStyle = '#aaa';
  const fmt = (v: number) => (opts.logY ? (10 ** v).toPrecision(3) : v.toPrecision(3));
  ctx.fillText(fmt(y1), 2, 0.6 * pad + 10 * dpr);
  ctx.fillText(fmt(y0), 2, hgt - pad);
  ctx.fillText(String(+x1.toPrecision(4)), w - pad, hgt - pad / 3);
  series.forEach((s, k) => {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.5 * dpr;
    ctx.beginPath();
    s.points.forEach(([x, y], i) => (i ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
    ctx.stroke();
    ctx.fillStyle = s.color;
    ctx.fillText(s.label, pad + 8 * dpr + k * 80 * dpr, 0.6 * pad + 14 * dpr);
  });
}
