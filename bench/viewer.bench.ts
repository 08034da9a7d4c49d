/**
 * The viewer's numbers (headless Debian chromium with software GL here, so read the 3-D frame time against a blank
 * render on the same renderer): 3-D raymarch frame time for a 128³ volume at 512×512 (MIP and DVR), time from
 * opening a corpus to the first slice shown, and the server's latency for a 256² slice, on a real zarr corpus.
 *
 *   npm run bench -- --only viewer --json
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { request } from 'node:http';
import type { Emit, BenchOptions } from '../src/cli/commands/bench.js';
import { Corpus } from '../src/corpus/index.js';
import { startServer } from '../src/server/server.js';
import { onSpiral } from '../test/server/spiral-corpus.js';

export const name = 'viewer';
export const description =
  '3D frame time (128³ @ 512², vs blank), corpus open → first slice, server latency of a 256² slice';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

/** A real (zarr) corpus with one 128×256×256 spiral scan. */
async function makeCorpus(dir: string): Promise<Corpus> {
  const corpus = await Corpus.open(dir, { create: true });
  const [Z, Y, X] = [128, 256, 256];
  await corpus.withWriter((w) =>
    w.appendRecord(
      {
        name: 'bench/scan',
        scroll: 'bench',
        modality: 'scan',
        shape: [Z, Y, X],
        dtype: 'uint8',
        voxelSizeUm: [7.91, 7.91, 7.91],
        source: { path: '(generated)', sha256: '0', format: 'generated' },
        trainable: true,
      },
      async (writeSlab) => {
        for (let z0 = 0; z0 < Z; z0 += 16) {
          const slab = new Uint8Array(16 * Y * X);
          for (let z = 0; z < 16; z++)
            for (let y = 0; y < Y; y++)
              for (let x = 0; x < X; x++)
                slab[(z * Y + y) * X + x] = onSpiral(y, x, Y, X, ((z0 + z) / Z) * 0.6)
                  ? 210
                  : 20 + ((x * 7 + y * 13 + z) % 17);
          await writeSlab(z0, slab);
        }
      },
    ),
  );
  return Corpus.open(dir);
}

function get(port: number, token: string, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: target, headers: { Host: `127.0.0.1:${port}`, 'X-Aunn-Token': token } },
      (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(n) : reject(new Error(`${target}: HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * Page-side timer, as source text (tsx would wrap inner functions in a `__name` helper the page does not have).
 * Renders `count` frames, each waited for with a 1-pixel readPixels, then the same with a blank clear.
 */
const FRAME_TIMER = (mode: string, count: number) => `(() => {
  const v = window.__aunn.volumePanel.volume;
  v.setStyle({ mode: ${JSON.stringify(mode)} });
  const gl = v.renderer.getContext();
  const px = new Uint8Array(4);
  function time(fn) {
    fn();
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
    const t = performance.now();
    for (let i = 0; i < ${count}; i++) { fn(); gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px); }
    return (performance.now() - t) / ${count};
  }
  const frame = time(() => v.renderNow());
  const blank = time(() => v.renderer.clear());
  return { frame, blank, size: [v.canvas.width, v.canvas.height] };
})()`;

/** Page-side: wheel 20 slices on the XY view, 50 ms apart; the long main-thread tasks seen meanwhile. */
const WHEEL_LONG_TASKS = `(async () => {
  const durations = [];
  const obs = new PerformanceObserver((l) => l.getEntries().forEach((e) => durations.push(e.duration)));
  obs.observe({ type: 'longtask', buffered: false });
  const el = document.querySelector('[data-view="xy"] canvas.overlay');
  for (let i = 0; i < 20; i++) {
    el.dispatchEvent(new WheelEvent('wheel', { deltaY: 1, bubbles: true, cancelable: true }));
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 1500));
  obs.disconnect();
  return { count: durations.length, max: durations.length ? Math.max(...durations) : 0 };
})()`;

/** Page-side: the XY slice view's frame (one textured quad + overlay), timed like the 3-D frame. */
const SLICE_TIMER = (count: number) => `(() => {
  const v = window.__aunn.volumePanel.views[0].view;
  const gl = v.renderer.getContext();
  const px = new Uint8Array(4);
  v.renderNow(); gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
  const t = performance.now();
  for (let i = 0; i < ${count}; i++) { v.renderNow(); gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px); }
  return { frame: (performance.now() - t) / ${count}, size: [v.canvas.width, v.canvas.height] };
})()`;

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

export async function run(emit: Emit, opts: BenchOptions): Promise<void> {
  const corpus = await makeCorpus(path.join(opts.tmpDir, 'corpus'));
  const rec = corpus.record('bench/scan');
  const app = await startServer({ corpus });
  try {
    // Server latency of 256² z slices: a jump to a far plane (cold: decodes chunks), then the next planes in order as
    // the mouse wheel asks for them (served from the slab cache); and y slices, which cross every chunk row.
    const n = opts.quick ? 20 : 200;
    const time = async (targets: string[]) => {
      const times: number[] = [];
      for (const t of targets) {
        const t0 = performance.now();
        await get(app.port, app.token, t);
        times.push(performance.now() - t0);
      }
      return times;
    };
    const slice = (axis: string, index: number) => `/api/records/${rec.id}/slice?axis=${axis}&index=${index}&level=0`;
    const cold: number[] = [];
    for (let i = 0; i < (opts.quick ? 1 : 5); i++) {
      await new Promise((r) => setTimeout(r, 10_100)); // past the cache's time to live
      cold.push(...(await time([slice('z', (i * 37) % 128)])));
    }
    emit('server 256x256 z-slice, cold (chunks decoded)', quantile(cold, 0.5), 'ms');
    const wheel = await time(Array.from({ length: n }, (_, i) => slice('z', i % 128)));
    emit('server 256x256 z-slice, wheel order median', quantile(wheel, 0.5), 'ms');
    emit('server 256x256 z-slice, wheel order p95', quantile(wheel, 0.95), 'ms');
    const ys = await time(Array.from({ length: n }, (_, i) => slice('y', (i * 37) % 256)));
    emit('server 128x256 y-slice median', quantile(ys, 0.5), 'ms');
    emit('server 128x256 y-slice p95', quantile(ys, 0.95), 'ms');
    {
      const t0 = performance.now();
      const bytes = await get(app.port, app.token, `/api/records/${rec.id}/region?z=0,128&y=64,192&x=64,192&level=0`);
      emit('server 128³ region', performance.now() - t0, 'ms');
      if (bytes !== 128 ** 3) throw new Error(`region: ${bytes} bytes`);
    }

    if (!existsSync(CHROMIUM)) {
      emit('browser metrics', `skipped: ${CHROMIUM} not found`);
      return;
    }
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      // Open → first slice shown (fresh page, cold caches on the server side too: new server).
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const t0 = performance.now();
      await page.goto(app.url);
      await page.waitForSelector('[data-view="xy"][data-loaded="true"]', { timeout: 120_000 });
      emit('open corpus → first slice shown', performance.now() - t0, 'ms');
      await page.waitForSelector('[data-view="3d"][data-loaded="true"]', { timeout: 120_000 });
      emit('open corpus → 3D view shown', performance.now() - t0, 'ms');

      {
        const r = (await page.evaluate(SLICE_TIMER(opts.quick ? 5 : 30))) as { frame: number; size: number[] };
        emit(`slice view frame (textured quad) @ ${r.size.join('x')}`, r.frame, 'ms');
      }

      // UI work while slicing (3-D view on the whole coarse level): no main-thread task should pass 100 ms.
      {
        const lt = (await page.evaluate(WHEEL_LONG_TASKS)) as { count: number; max: number };
        emit('wheel slicing (3D: level): tasks > 50 ms', lt.count, '');
        emit('wheel slicing (3D: level): longest task', lt.max, 'ms');
      }

      // 3-D frame time: a 128³ box at the crosshair, the 3-D cell forced to 512×512.
      await page.selectOption('select.render-source', 'crosshair');
      await page.waitForFunction(
        () => document.querySelector<HTMLElement>('[data-view="3d"]')?.dataset.volume === '128x128x128',
        undefined,
        { timeout: 120_000 },
      );
      // (The app's CSP forbids injected <style>; CSSOM edits are allowed.)
      await page.evaluate(() => {
        const cell = document.querySelector<HTMLElement>('[data-panel="volume"] .quad > .cell:nth-child(4)')!;
        Object.assign(cell.style, {
          position: 'fixed',
          left: '0',
          top: '0',
          width: '512px',
          height: '512px',
          zIndex: '50',
        });
      });
      await page.waitForTimeout(500);
      const frames = opts.quick ? 5 : 30;
      for (const mode of ['mip', 'dvr'] as const) {
        const r = (await page.evaluate(FRAME_TIMER(mode, frames))) as { frame: number; blank: number; size: number[] };
        emit(`3D ${mode.toUpperCase()} frame 128³ @ ${r.size.join('x')}`, r.frame, 'ms');
        emit(`3D ${mode.toUpperCase()} frame / blank render`, r.frame / Math.max(r.blank, 1e-3), 'x');
        if (mode === 'mip') emit('blank render (clear + readPixels)', r.blank, 'ms');
      }
      // Slicing again, now the 3-D box follows the crosshair (reloaded once the wheel stops).
      {
        const lt = (await page.evaluate(WHEEL_LONG_TASKS)) as { count: number; max: number };
        emit('wheel slicing (3D: 128³ box): tasks > 50 ms', lt.count, '');
        emit('wheel slicing (3D: 128³ box): longest task', lt.max, 'ms');
      }
    } finally {
      await browser.close();
    }
  } finally {
    await app.close();
  }
}
