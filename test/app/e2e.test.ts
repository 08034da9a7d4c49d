/**
 * End to end in headless Debian chromium (software WebGL): the app on a corpus with a rolled-sheet spiral scan, its
 * predictions and a segment. Checks pixels of every view, window/level, the segment view's layer 32 and ink overlay,
 * compare, screenshots, and the saved view state. Screenshots go to test-output/app/ — look at them.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startServer, type AppServer } from '../../src/server/server.js';
import { isInk, onSpiral, spiralCorpus, type SpiralCorpus } from '../server/spiral-corpus.js';
import { decodeRgb, gridToScreen, lum, meanAbsDiff, rgbAt, stats, type Rgb } from './pixels.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT = path.resolve(__dirname, '../../test-output/app');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`e2e app test skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

let tmp: string;
let corpus: SpiralCorpus;
let app: AppServer;
let browser: Browser;
let page: Page;

async function shot(name: string, selector: string): Promise<Rgb> {
  const png = await page.locator(selector).screenshot();
  await writeFile(path.join(OUT, `${name}.png`), png);
  return decodeRgb(png);
}

async function waitFrames(selector: string, after: number): Promise<void> {
  await page.waitForFunction(
    ([s, n]) => Number(document.querySelector<HTMLElement>(s as string)?.dataset.frames ?? 0) > (n as number),
    [selector, after] as const,
    { timeout: 30_000 },
  );
}

const frames = (selector: string) =>
  page.evaluate((s) => Number(document.querySelector<HTMLElement>(s)?.dataset.frames ?? 0), selector);

describe.skipIf(!haveChromium)('the app in headless chromium', () => {
  beforeAll(async () => {
    await mkdir(OUT, { recursive: true });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-e2e-'));
    corpus = await spiralCorpus(path.join(tmp, 'corpus'));
    await mkdir(path.join(corpus.dir, 'readings'));
    await writeFile(
      path.join(corpus.dir, 'readings', 'seg1.json'),
      JSON.stringify({
        segment: 'scroll1/seg1',
        letters: [
          { char: 'Α', bbox: [16, 14, 30, 22], confidence: 0.9 },
          { char: 'Ω', x: 32, y: 14, w: 14, h: 8, restored: true },
        ],
      }),
    );
    app = await startServer({ corpus });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(app.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    for (const v of ['xy', 'xz', 'yz', '3d'])
      await page.waitForSelector(`[data-view="${v}"][data-loaded="true"]`, { timeout: 60_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('drops the token from the address bar and works from the cookie', async () => {
    expect(page.url()).toBe(`http://127.0.0.1:${app.port}/`);
    const status = await page.evaluate(async () => (await fetch('/api/records')).status);
    expect(status).toBe(200);
  });

  it('renders the three slice views with the spiral sheet where the data has it', async () => {
    const [Z, Y, X] = corpus.record('scroll1/scanA').shape;
    const um = 7.91;
    const views = [
      {
        name: 'xy',
        rows: Y,
        cols: X,
        on: (r: number, c: number) => onSpiral(r, c, Y, X, (Math.floor(Z / 2) / Z) * 0.6),
      },
      {
        name: 'xz',
        rows: Z,
        cols: X,
        on: (r: number, c: number) => onSpiral(Math.floor(Y / 2), c, Y, X, (r / Z) * 0.6),
      },
      {
        name: 'yz',
        rows: Z,
        cols: Y,
        on: (r: number, c: number) => onSpiral(c, Math.floor(X / 2), Y, X, (r / Z) * 0.6),
      },
    ];
    for (const v of views) {
      const img = await shot(`slice-${v.name}`, `[data-view="${v.name}"]`);
      const s = stats(img);
      expect(s.std, `${v.name} is blank`).toBeGreaterThan(15);
      // sample every grid pixel away from the crosshair: sheet pixels must be bright, the rest dark
      let sheet = 0,
        nSheet = 0,
        bg = 0,
        nBg = 0;
      for (let r = 2; r < v.rows - 2; r++)
        for (let c = 2; c < v.cols - 2; c++) {
          if (Math.abs(r - v.rows / 2) < 3 || Math.abs(c - v.cols / 2) < 3) continue;
          const [x, y] = gridToScreen(img, { rows: v.rows, cols: v.cols, spacing: [um, um] }, r, c);
          const l = lum(img, x, y);
          if (v.on(r, c)) ((sheet += l), nSheet++);
          else ((bg += l), nBg++);
        }
      expect(nSheet, v.name).toBeGreaterThan(20);
      expect(sheet / nSheet - bg / nBg, `${v.name}: sheet vs background brightness`).toBeGreaterThan(80);
    }
  });

  it('renders the 3D view (raymarched MIP), not blank, with the segment mesh', async () => {
    const img = await shot('3d-mip', '[data-view="3d"]');
    const s = stats(img);
    expect(s.nonBlack).toBeGreaterThan(0.05);
    expect(s.std).toBeGreaterThan(20);
    // DVR renders differently from MIP
    const before = await frames('[data-view="3d"]');
    await page.selectOption('select.render-mode', 'dvr');
    await waitFrames('[data-view="3d"]', before);
    const dvr = await shot('3d-dvr', '[data-view="3d"]');
    expect(stats(dvr).nonBlack).toBeGreaterThan(0.03);
    expect(meanAbsDiff(img, dvr)).toBeGreaterThan(2);
    // the mesh (cyan wireframe) is drawn: some pixels are clearly cyan
    let cyan = 0;
    for (let y = 0; y < dvr.height; y += 2)
      for (let x = 0; x < dvr.width; x += 2) {
        const [r, g, b] = rgbAt(dvr, x, y);
        if (b > 150 && g > 120 && r < 100) cyan++;
      }
    expect(cyan).toBeGreaterThan(20);
  });

  it('renders a prediction layer in 3D: the uncertainty in its own colormap, then the scan again', async () => {
    await page.selectOption('select.render-mode', 'mip');
    const scanShot = await shot('3d-scan', '[data-view="3d"]');
    await page.selectOption('select.render-layer', 'scroll1/scanA~uncertainty');
    await page.waitForSelector('[data-view="3d"][data-layer="scroll1/scanA~uncertainty"]', { timeout: 30_000 });
    const unc = await shot('3d-uncertainty', '[data-view="3d"]');
    expect(stats(unc).nonBlack).toBeGreaterThan(0.02);
    expect(meanAbsDiff(scanShot, unc)).toBeGreaterThan(2);
    // inferno: purple-to-red pixels (red and blue above green) that neither the grey scan nor the cyan mesh has
    const inferno = (img: Rgb) => {
      let n = 0;
      for (let y = 0; y < img.height; y += 2)
        for (let x = 0; x < img.width; x += 2) {
          const [r, g, b] = rgbAt(img, x, y);
          if (r > g + 25 && b > g) n++;
        }
      return n;
    };
    expect(inferno(scanShot)).toBeLessThan(10);
    expect(inferno(unc)).toBeGreaterThan(200);
    await page.selectOption('select.render-layer', 'scroll1/scanA');
    await page.waitForSelector('[data-view="3d"][data-layer="scroll1/scanA"]', { timeout: 30_000 });
  });

  it('changes pixels when the window/level changes, and saves it with the corpus', async () => {
    const before = await shot('xy-window-before', '[data-view="xy"]');
    const n = await frames('[data-view="xy"]');
    await page.evaluate(() => {
      const row = document.querySelector('[data-panel="volume"] .layer[data-role="observed"]')!;
      const hi = row.querySelector<HTMLInputElement>('input.win-hi')!;
      hi.value = '60';
      hi.dispatchEvent(new Event('input'));
    });
    await waitFrames('[data-view="xy"]', n);
    const after = await shot('xy-window-after', '[data-view="xy"]');
    expect(meanAbsDiff(before, after)).toBeGreaterThan(10);
    expect(stats(after).mean).toBeGreaterThan(stats(before).mean);
    await page.waitForTimeout(1200); // the state is saved after a pause
    const saved = JSON.parse(await readFile(path.join(corpus.dir, 'view-state.json'), 'utf8'));
    expect(saved.layers['scroll1/scanA'].window[1]).toBe(60);
  });

  it('writes a PNG with the scale bar from a view', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-shot="xy"]')]);
    const file = path.join(OUT, 'download-xy.png');
    await download.saveAs(file);
    const img = decodeRgb(await readFile(file));
    expect(img.width).toBeGreaterThan(200);
    // scale bar: a white bar near the bottom-left corner
    let white = 0;
    for (let y = img.height - 20; y < img.height - 8; y++)
      for (let x = 10; x < 60; x++) if (lum(img, x, y) > 240) white++;
    expect(white).toBeGreaterThan(20);
  });

  it('shows the segment at layer 32 with the ink overlay where the labels are', async () => {
    await page.click('.tabs [data-tab="segment"]');
    await page.waitForSelector('[data-view="segment"][data-loaded="true"]', { timeout: 30_000 });
    await page.waitForTimeout(300);
    expect(await page.inputValue('input.layer-slider')).toBe('32');
    const rec = corpus.record('scroll1/seg1/layers');
    const [, H, W] = rec.shape;
    const grid = { rows: H, cols: W, spacing: [7.91, 7.91] as [number, number] };
    const check = (img: Rgb) => {
      let inkRB = 0,
        nInk = 0,
        otherRB = 0,
        nOther = 0,
        inkBR = 0;
      for (let r = 1; r < H - 1; r++)
        for (let c = 1; c < W - 1; c++) {
          // skip label edges (the screen pixel may fall across a boundary)
          const ink = isInk(r, c, H, W);
          if (
            ink !== isInk(r - 1, c, H, W) ||
            ink !== isInk(r + 1, c, H, W) ||
            ink !== isInk(r, c - 1, H, W) ||
            ink !== isInk(r, c + 1, H, W)
          )
            continue;
          const [x, y] = gridToScreen(img, grid, r, c);
          const [R, , B] = rgbAt(img, x, y);
          if (ink) ((inkRB += R - B), (inkBR += B - R), nInk++);
          else ((otherRB += Math.abs(R - B)), nOther++);
        }
      return { inkRB: inkRB / nInk, inkBR: inkBR / nInk, other: otherRB / nOther, nInk };
    };
    const withInk = await shot('segment-layer32-ink', '[data-view="segment"]');
    const a = check(withInk);
    expect(a.nInk).toBeGreaterThan(50);
    expect(a.inkRB, 'predicted ink is drawn warm red where the labels are').toBeGreaterThan(60);
    expect(a.other, 'elsewhere the surface stays grey').toBeLessThan(25);
    // hide the predicted ink: the label overlay (cyan) remains where the labels are
    const n = await frames('[data-view="segment"]');
    await page.evaluate(() => {
      const box = document.querySelector<HTMLInputElement>(
        '[data-panel="segment"] .layer[data-role="ink"] input.visible',
      )!;
      box.checked = false;
      box.dispatchEvent(new Event('change'));
    });
    await waitFrames('[data-view="segment"]', n);
    const labelsOnly = await shot('segment-layer32-labels', '[data-view="segment"]');
    const b = check(labelsOnly);
    expect(b.inkBR, 'ink labels are drawn cyan where they are').toBeGreaterThan(40);
    expect(b.other).toBeLessThan(25);
    // the layer slider moves through the depth: layer 0 is far from the surface and darker
    const n2 = await frames('[data-view="segment"]');
    await page.evaluate(() => {
      const s = document.querySelector<HTMLInputElement>('input.layer-slider')!;
      s.value = '0';
      s.dispatchEvent(new Event('input'));
    });
    await waitFrames('[data-view="segment"]', n2);
    await page.waitForTimeout(300);
    const layer0 = await shot('segment-layer00', '[data-view="segment"]');
    expect(meanAbsDiff(labelsOnly, layer0)).toBeGreaterThan(5);
  });

  it('compares observed, predicted, residual and uncertainty side by side', async () => {
    await page.click('.tabs [data-tab="compare"]');
    for (const k of ['observed', 'predicted', 'residual', 'uncertainty'])
      await page.waitForSelector(`[data-view="compare-${k}"][data-loaded="true"]`, { timeout: 30_000 });
    await page.waitForTimeout(300);
    for (const k of ['observed', 'predicted', 'residual', 'uncertainty']) {
      const img = await shot(`compare-${k}`, `[data-view="compare-${k}"]`);
      expect(stats(img).std, k).toBeGreaterThan(5);
    }
    // One cursor: stepping through z in Compare moves the volume tab's XY slice with it.
    const z0 = Number(await page.getAttribute('[data-view="xy"]', 'data-slice'));
    await page.hover('[data-view="compare-observed"] canvas.overlay');
    await page.mouse.wheel(0, 100);
    await page.waitForFunction(
      (z) => Number(document.querySelector<HTMLElement>('[data-view="xy"]')?.dataset.slice) === z + 1,
      z0,
      { timeout: 10_000 },
    );
  });

  it('shows the training dashboard', async () => {
    await page.click('.tabs [data-tab="training"]');
    await page.waitForSelector('canvas.chart.loss');
    await shot('training', '[data-panel="training"]');
    expect(await page.locator('select.job-command option').count()).toBeGreaterThan(3);
  });

  it('restores the saved view state on reload', async () => {
    await page.waitForTimeout(1200);
    await page.goto(app.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    expect(await page.evaluate(() => document.body.dataset.activeTab)).toBe('training');
    await page.click('.tabs [data-tab="volume"]');
    expect(await page.locator('.tabs button.active').allTextContents()).toEqual(['Volume']);
    const hi = await page.inputValue('[data-panel="volume"] .layer[data-role="observed"] input.win-hi');
    expect(hi).toBe('60');
    await page.screenshot({ path: path.join(OUT, 'app-volume.png') });
  });

  it('fits on double-click without moving the crosshair, moves it on a click, zooms about the pointer', async () => {
    const cursor = () =>
      page.evaluate(() => [
        ...(window as unknown as { __aunn: { volumePanel: { cursor: number[] } } }).__aunn.volumePanel.cursor,
      ]);
    const xy = page.locator('[data-view="xy"] canvas.overlay');
    const box = (await xy.boundingBox())!;
    const before = await cursor();
    await xy.dblclick({ position: { x: box.width * 0.3, y: box.height * 0.3 } });
    await page.waitForTimeout(500);
    expect(await cursor(), 'double-click leaves the crosshair').toEqual(before);
    await xy.click({ position: { x: box.width * 0.3, y: box.height * 0.3 } });
    await page.waitForTimeout(500);
    const moved = await cursor();
    expect(moved[0]).toBe(before[0]);
    expect(moved.slice(1), 'a click moves it').not.toEqual(before.slice(1));
    // The voxel under the pointer stays under it while zooming in.
    const at = { x: box.x + box.width * 0.7, y: box.y + box.height * 0.6 };
    const voxelUnder = async () => {
      await page.mouse.move(at.x + 1, at.y);
      await page.mouse.move(at.x, at.y);
      return /y (\d+) x (\d+)/.exec((await page.locator('.status').textContent()) ?? '')?.slice(1);
    };
    const v0 = await voxelUnder();
    expect(v0).toBeDefined();
    await page.keyboard.down('Control');
    for (let i = 0; i < 4; i++) await page.mouse.wheel(0, -100);
    await page.keyboard.up('Control');
    await page.waitForTimeout(200);
    const v1 = await voxelUnder();
    expect(Math.abs(Number(v1![0]) - Number(v0![0])) + Math.abs(Number(v1![1]) - Number(v0![1]))).toBeLessThanOrEqual(
      2,
    );
  });

  it('drags the window on the histogram, applies presets, draws a colorbar per layer, links zoom', async () => {
    const row = '[data-panel="volume"] .layer[data-role="observed"]';
    const hiBefore = Number(await page.inputValue(`${row} input.win-hi`));
    const hist = page.locator(`${row} canvas.histogram`);
    const box = (await hist.boundingBox())!;
    const n = await frames('[data-view="xy"]');
    const before = await shot('xy-histogram-before', '[data-view="xy"]');
    // Take the high edge and drag it 40 px to the left: the window narrows, the slice gets brighter.
    const x = box.x + (hiBefore / 255) * box.width;
    await page.mouse.move(x, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(x - 40, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    const hiAfter = Number(await page.inputValue(`${row} input.win-hi`));
    await shot('layer-histogram', row);
    expect(hiAfter).toBeLessThan(hiBefore - 30);
    await waitFrames('[data-view="xy"]', n);
    expect(stats(await shot('xy-histogram-after', '[data-view="xy"]')).mean).toBeGreaterThan(stats(before).mean);
    // The colorbar's labels follow the window, in the same units as the window's numbers.
    const hiLabel = await page.getAttribute(`${row} .colorbar`, 'data-hi');
    expect(hiLabel).toBe(await page.locator(`${row} input.win-hi + .num`).textContent());
    // Presets: full range puts the sliders at 0 and 255.
    await page.selectOption(`${row} select.preset`, 'full');
    expect(await page.inputValue(`${row} input.win-lo`)).toBe('0');
    expect(await page.inputValue(`${row} input.win-hi`)).toBe('255');
    await page.selectOption(`${row} select.preset`, 'auto');
    expect(Number(await page.inputValue(`${row} input.win-hi`))).toBeLessThan(255);
    // Every layer row and every compare view has a colorbar.
    const layers = await page.locator('[data-panel="volume"] .layer').count();
    expect(await page.locator('[data-panel="volume"] .layer .colorbar').count()).toBe(layers);
    // Linked zoom: zooming XY zooms XZ and YZ to the same µm per screen pixel.
    const scales = () =>
      page.evaluate(() =>
        (
          window as unknown as { __aunn: { volumePanel: { views: { view: { umPerPixel(): number } }[] } } }
        ).__aunn.volumePanel.views.map((v) => v.view.umPerPixel()),
      );
    await page.check('[data-panel="volume"] input.link-zoom');
    const xy = (await page.locator('[data-view="xy"] canvas.overlay').boundingBox())!;
    await page.mouse.move(xy.x + xy.width / 2, xy.y + xy.height / 2);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -100);
    await page.keyboard.up('Control');
    await page.waitForTimeout(200);
    const [a, b, c] = await scales();
    expect(b! / a!).toBeCloseTo(1, 3);
    expect(c! / a!).toBeCloseTo(1, 3);
    await page.uncheck('[data-panel="volume"] input.link-zoom');
    await page.mouse.move(xy.x + xy.width / 2, xy.y + xy.height / 2);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -100);
    await page.keyboard.up('Control');
    await page.waitForTimeout(200);
    const [a2, b2] = await scales();
    expect(b2! / a2!).toBeGreaterThan(1.05);
    await page.click('.tabs [data-tab="compare"]');
    await page.waitForSelector('[data-panel="compare"] .cell > .colorbar[data-hi]', { timeout: 10_000 });
    expect(await page.locator('[data-panel="compare"] .cell > .colorbar').count()).toBe(4);
    expect(await page.getAttribute('[data-panel="compare"] .cell > .colorbar >> nth=2', 'data-colormap')).toBe(
      'inferno',
    );
    await page.click('.tabs [data-tab="volume"]');
  });
});
