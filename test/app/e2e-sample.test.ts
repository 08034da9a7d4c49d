/**
 * End to end on the real chain: `aunn sample` → `aunn ingest` → the app in headless chromium over the corpus. The
 * slice views must show the scan (screen brightness follows the stored bytes, so the sheet's spiral is where the
 * data has it), the 3D view renders, window/level changes pixels, and the segment view shows layer 32 with the
 * ink-label overlay where the labels are. Screenshots in test-output/app-sample/.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { RecordMeta } from '../../src/corpus/types.js';
import { Corpus } from '../../src/corpus/index.js';
import { startServer, type AppServer } from '../../src/server/server.js';
import { decodeRgb, gridToScreen, lum, meanAbsDiff, rgbAt, stats, type Rgb } from './pixels.js';

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
const OUT = path.resolve(__dirname, '../../test-output/app-sample');
const AUNN = path.resolve(__dirname, '../../bin/aunn.js');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`e2e sample app test skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);

let tmp: string;
let corpus: Corpus;
let app: AppServer;
let browser: Browser;
let page: Page;

async function shot(name: string, selector: string): Promise<Rgb> {
  const png = await page.locator(selector).screenshot();
  await writeFile(path.join(OUT, `${name}.png`), png);
  return decodeRgb(png);
}

const frames = (selector: string) =>
  page.evaluate((s) => Number(document.querySelector<HTMLElement>(s)?.dataset.frames ?? 0), selector);
const waitFrames = (selector: string, after: number) =>
  page.waitForFunction(
    ([s, n]) => Number(document.querySelector<HTMLElement>(s as string)?.dataset.frames ?? 0) > (n as number),
    [selector, after] as const,
    { timeout: 30_000 },
  );

function pearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe.skipIf(!haveChromium)('the app on the sample scroll (sample → ingest → serve → chromium)', () => {
  let scan: RecordMeta;

  beforeAll(async () => {
    await mkdir(OUT, { recursive: true });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-e2e-sample-'));
    const run = promisify(execFile);
    // Dev seed 3: a hand with 2.8-px strokes, so the overlay check has label pixels whose neighbours are ink too
    // (seed 1 writes 1.2-px strokes, with almost no inner pixels).
    await run(process.execPath, [AUNN, 'sample', '--out', path.join(tmp, 'sample'), '--seed', '3', '--quiet']);
    const volpkg = (await readdir(path.join(tmp, 'sample'))).find((f) => f.endsWith('.volpkg'))!;
    await run(process.execPath, [
      AUNN,
      'ingest',
      path.join(tmp, 'sample', volpkg),
      '--corpus',
      path.join(tmp, 'corpus'),
    ]);
    corpus = await Corpus.open(path.join(tmp, 'corpus'));
    scan = corpus.records({ modality: 'scan' })[0]!;
    app = await startServer({ corpus });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(app.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    for (const v of ['xy', 'xz', 'yz', '3d'])
      await page.waitForSelector(`[data-view="${v}"][data-loaded="true"]`, { timeout: 60_000 });
    await page.waitForTimeout(300);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('shows the scan in the three slice views: screen brightness follows the stored bytes', async () => {
    const [Z, Y, X] = scan.shape;
    const um = scan.voxelSizeUm ?? [1, 1, 1];
    const c = [Z >> 1, Y >> 1, X >> 1];
    const views = [
      { name: 'xy', rows: Y, cols: X, sp: [um[1], um[2]], region: { z: [c[0]!, c[0]! + 1], y: [0, Y], x: [0, X] } },
      { name: 'xz', rows: Z, cols: X, sp: [um[0], um[2]], region: { z: [0, Z], y: [c[1]!, c[1]! + 1], x: [0, X] } },
      { name: 'yz', rows: Z, cols: Y, sp: [um[0], um[1]], region: { z: [0, Z], y: [0, Y], x: [c[2]!, c[2]! + 1] } },
    ] as const;
    for (const v of views) {
      const img = await shot(`slice-${v.name}`, `[data-view="${v.name}"]`);
      expect(stats(img).std, `${v.name} blank`).toBeGreaterThan(10);
      const data = await corpus.readRegion(scan, { z: [...v.region.z], y: [...v.region.y], x: [...v.region.x] });
      const screen: number[] = [];
      const stored: number[] = [];
      for (let r = 1; r < v.rows - 1; r += 1)
        for (let col = 1; col < v.cols - 1; col += 1) {
          if (Math.abs(r - v.rows / 2) < 3 || Math.abs(col - v.cols / 2) < 3) continue; // crosshair
          const [x, y] = gridToScreen(img, { rows: v.rows, cols: v.cols, spacing: [v.sp[0], v.sp[1]] }, r, col);
          if (x < 70 && y > img.height - 40) continue; // scale bar
          if (y < 24) continue; // info line
          screen.push(lum(img, x, y));
          stored.push(data[r * v.cols + col]!);
        }
      expect(pearson(screen, stored), `${v.name}: screen vs data`).toBeGreaterThan(0.85);
    }
  });

  it('renders the 3D view and changes pixels with the window', async () => {
    const vol = await shot('3d', '[data-view="3d"]');
    expect(stats(vol).nonBlack).toBeGreaterThan(0.05);
    const before = await shot('xy-before-window', '[data-view="xy"]');
    const n = await frames('[data-view="xy"]');
    await page.evaluate(() => {
      const lo = document.querySelector<HTMLInputElement>(
        '[data-panel="volume"] .layer[data-role="observed"] input.win-lo',
      )!;
      lo.value = String(Math.min(250, Number(lo.value) + 60));
      lo.dispatchEvent(new Event('input'));
    });
    await waitFrames('[data-view="xy"]', n);
    const after = await shot('xy-after-window', '[data-view="xy"]');
    expect(meanAbsDiff(before, after)).toBeGreaterThan(5);
    expect(stats(after).mean).toBeLessThan(stats(before).mean);
  });

  it('shows the segment at layer 32 with the ink labels overlaid where they are', async () => {
    await page.click('.tabs [data-tab="segment"]');
    await page.waitForSelector('[data-view="segment"][data-loaded="true"]', { timeout: 30_000 });
    await page.waitForTimeout(300);
    expect(await page.inputValue('input.layer-slider')).toBe('32');
    expect(await page.locator('[data-view="segment"]').getAttribute('data-loaded')).toBe('true');
    const layers = corpus.records({ modality: 'segment-layers' })[0]!;
    const labels = corpus.records({ modality: 'ink-labels' })[0]!;
    const [, H, W] = labels.shape;
    const lab = await corpus.readRecord(labels);
    const img = await shot('segment-layer32', '[data-view="segment"]');
    const grid = {
      rows: H,
      cols: W,
      spacing: [layers.voxelSizeUm?.[1] ?? 1, layers.voxelSizeUm?.[2] ?? 1] as [number, number],
    };
    let inkBR = 0,
      nInk = 0,
      otherBR = 0,
      nOther = 0;
    for (let r = 1; r < H - 1; r++)
      for (let c = 1; c < W - 1; c++) {
        const v = lab[r * W + c]!;
        if (
          v !== lab[(r - 1) * W + c] ||
          v !== lab[(r + 1) * W + c] ||
          v !== lab[r * W + c - 1] ||
          v !== lab[r * W + c + 1]
        )
          continue;
        const [x, y] = gridToScreen(img, grid, r, c);
        if (y < 24 || (x < 200 && y > img.height - 40)) continue;
        const [R, , B] = rgbAt(img, x, y);
        if (v === 255) ((inkBR += B - R), nInk++);
        else ((otherBR += Math.abs(B - R)), nOther++);
      }
    expect(nInk).toBeGreaterThan(100);
    expect(inkBR / nInk, 'labels drawn (cyan) where the labels are').toBeGreaterThan(40);
    expect(otherBR / nOther, 'the surface stays grey elsewhere').toBeLessThan(20);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-shot="segment"]')]);
    await download.saveAs(path.join(OUT, 'download-segment.png'));
    expect(
      decodeRgb(await (await import('node:fs/promises')).readFile(path.join(OUT, 'download-segment.png'))).width,
    ).toBeGreaterThan(200);
    await page.screenshot({ path: path.join(OUT, 'app-segment.png') });
  });
});
