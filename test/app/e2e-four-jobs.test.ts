/**
 * The four jobs of a papyrologist, in headless chromium, from an empty folder and with no terminal: add the sample
 * through Add data (a folder upload), train a few steps, predict ink, type the known text of the labelled region and
 * read, look at the reading (confidence, a letter's crop and alternatives, a correction), export and open the
 * export. Then a second scroll is added and the segment view switches between the two: only the chosen segment's
 * layers, ink and reading are shown. Every control has a tooltip. Screenshots in test-output/app-four-jobs/.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Corpus } from '../../src/corpus/index.js';
import { openCorpusForServing } from '../../src/server/open-corpus.js';
import { startServer, type AppServer } from '../../src/server/server.js';
import { decodeRgb, gridToScreen, lum, type Rgb } from './pixels.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];
const OUT = path.resolve(__dirname, '../../test-output/app-four-jobs');
const AUNN = path.resolve(__dirname, '../../bin/aunn.js');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`four-jobs app test skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);

let tmp: string;
let dir: string;
let app: AppServer;
let browser: Browser;
let page: Page;
let known: string;
const LONG = { timeout: 240_000 };

async function shot(name: string, selector = 'body'): Promise<Rgb> {
  const png = selector === 'body' ? await page.screenshot() : await page.locator(selector).screenshot();
  await writeFile(path.join(OUT, `${name}.png`), png);
  return decodeRgb(png);
}

const sha = async (f: string) =>
  createHash('sha256')
    .update(await readFile(f))
    .digest('hex');

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

async function tab(name: string): Promise<void> {
  await page.click(`.tabs [data-tab="${name}"]`);
  await page.waitForSelector(`body[data-active-tab="${name}"]`);
}

/** Start the job the form holds and wait for it to end; returns its final state. */
/** The form's message for what is missing (the form checks some fields with the server first). */
async function formError(text: string): Promise<void> {
  await page.waitForFunction((t) => document.querySelector('.form-error')?.textContent?.includes(t), text, {
    timeout: 10_000,
  });
}

async function startAndWait(): Promise<string> {
  // Forget the previous job's end, so only the new job's can satisfy the wait.
  await page.evaluate(() => delete document.querySelector<HTMLElement>('[data-panel="training"]')!.dataset.jobState);
  await page.click('.job-start');
  await page.waitForFunction(
    () => {
      const s = document.querySelector<HTMLElement>('[data-panel="training"]')?.dataset.jobState;
      return s === 'done' || s === 'failed' || s === 'cancelled';
    },
    undefined,
    LONG,
  );
  return (await page.locator('[data-panel="training"]').getAttribute('data-job-state'))!;
}

async function addFolder(folder: string): Promise<void> {
  await page.click('.add-data-open');
  await page.locator('input.add-folder').setInputFiles(folder);
  await page.waitForSelector('.add-show, .add-job.failed', LONG);
  expect(await page.locator('.add-job.failed').count(), (await page.locator('.add-jobs').textContent()) ?? '').toBe(0);
  await shot(`add-data-${path.basename(folder)}`);
  await Promise.all([page.waitForEvent('load'), page.click('.add-show')]);
  await page.waitForSelector('body[data-ready="true"]', LONG);
}

describe.skipIf(!haveChromium)('the four jobs in the app, from an empty folder', () => {
  let sample1: string;
  let sample2: string;

  beforeAll(async () => {
    await mkdir(OUT, { recursive: true });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'aunn-four-jobs-'));
    const run = promisify(execFile);
    // Dev seeds only (the test split is for reporting).
    await run(process.execPath, [AUNN, 'sample', '--out', path.join(tmp, 's1'), '--seed', '3', '--quiet']);
    await run(process.execPath, [
      AUNN,
      'sample',
      '--out',
      path.join(tmp, 's2'),
      '--seed',
      '5',
      '--size',
      'tiny',
      '--quiet',
    ]);
    sample1 = path.join(tmp, 's1', 'sample-s3.volpkg');
    sample2 = path.join(tmp, 's2', 'sample-s5.volpkg');
    // What the papyrologist knows: the text of the labelled region (columns left of the labels' end).
    const text = JSON.parse(await readFile(path.join(tmp, 's1', 'truth', 'text.json'), 'utf8')) as {
      columns: { lines: string[]; box: number[] }[];
    };
    const labelledXMax = 192;
    known = text.columns
      .filter((c) => c.box[0]! < labelledXMax)
      .map((c) => c.lines.join('\n'))
      .join('\n\n');
    dir = path.join(tmp, 'new-corpus');
    app = await startServer({ corpus: await openCorpusForServing(dir) });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(app.url);
    await page.waitForSelector('body[data-ready="true"]', LONG);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('opens an empty folder as an empty corpus, with a hint that leads to Add data', async () => {
    expect(await page.locator('.corpus-name').textContent()).toContain('0 records');
    expect(await page.locator('.first-run').textContent()).toContain('This corpus is empty');
    expect(JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')).records).toEqual([]);
    await shot('01-empty');
  });

  it('adds the sample through Add data: the folder is uploaded into incoming/ and ingested', async () => {
    await addFolder(sample1);
    expect(await page.locator('.corpus-name').textContent()).toContain('5 records');
    const corpus = await Corpus.open(dir);
    expect(
      corpus
        .records()
        .map((r) => r.modality)
        .sort(),
    ).toEqual(['ink-labels', 'mask', 'scan', 'scan', 'segment-layers']);
    const batch = (await readdir(path.join(dir, 'incoming')))[0]!;
    const tif = 'volumes/20260104120300/00048.tif';
    expect(await sha(path.join(dir, 'incoming', batch, 'sample-s3.volpkg', tif))).toBe(
      await sha(path.join(sample1, tif)),
    );
    await shot('02-added');
  }, 300_000);

  it('trains the AUNN a few steps from the Jobs form', async () => {
    await tab('training');
    await page.selectOption('.job-command', 'train');
    expect(await page.inputValue('.job-form input[name="model"]')).toBe('main');
    // The form checks before it sends: a step count out of range is refused on the field.
    await page.fill('.job-form input[name="steps"]', '0');
    await page.click('.job-start');
    await formError('steps: at least 1 steps');
    await page.fill('.job-form input[name="steps"]', '20');
    expect(await startAndWait()).toBe('done');
    expect(await page.locator('.job-title').textContent()).toMatch(/^Train the AUNN — main · 20 steps · done/);
    expect(await page.locator('.job-stats').textContent()).toMatch(/samples\/s/);
    expect(existsSync(path.join(dir, 'models', 'main'))).toBe(true);
    await shot('03-trained');
  }, 300_000);

  it('predicts ink on the segment', async () => {
    await page.selectOption('.job-command', 'ink');
    const group = (await Corpus.open(dir)).records({ modality: 'segment-layers' })[0]!.group!;
    expect(await page.inputValue('.job-form select[name="segment"]')).toBe(group);
    await page.fill('.job-form input[name="steps"]', '30');
    expect(await startAndWait()).toBe('done');
    const ink = (await Corpus.open(dir)).records().filter((r) => r.prediction?.kind === 'ink');
    expect(ink).toHaveLength(1);
    await page.waitForSelector('.status .reload');
    await Promise.all([page.waitForEvent('load'), page.click('.status .reload')]);
    await page.waitForSelector('body[data-ready="true"]', LONG);
    await shot('04-ink');
  }, 300_000);

  it('reads the segment with the known text typed into the form, and saves that text in the corpus', async () => {
    await tab('reading');
    expect(await page.locator('.reading-info').textContent()).toContain('not read yet');
    await page.click('.read-again');
    await page.waitForSelector('body[data-active-tab="training"]');
    expect(await page.inputValue('.job-command')).toBe('read');
    // Without the Greek text the form says what is missing and starts nothing.
    await page.fill('textarea.transcription', '');
    const jobsBefore = await page.locator('li.job').count();
    await page.click('.job-start');
    await formError('type the Greek text of the labelled region');
    expect(await page.locator('li.job').count()).toBe(jobsBefore);
    await page.fill('textarea.transcription', known);
    await page.fill('.job-form input[name="beam"]', '50');
    expect(await startAndWait()).toBe('done');
    const saved = (await readdir(path.join(dir, 'transcriptions')))[0]!;
    expect(await readFile(path.join(dir, 'transcriptions', saved), 'utf8')).toBe(`${known}\n`);
    expect((await readdir(path.join(dir, 'readings'))).length).toBe(1);
  }, 300_000);

  it('shows the reading: letters by confidence, a letter’s crop and alternatives, and saves a correction', async () => {
    await tab('reading');
    await page.waitForFunction(
      () => Number(document.querySelector<HTMLElement>('[data-panel="reading"]')?.dataset.letters) > 0,
    );
    const file = path.join(dir, 'readings', (await readdir(path.join(dir, 'readings')))[0]!);
    const reading = JSON.parse(await readFile(file, 'utf8')) as {
      columns: { n: number; lines: { n: number; letters: { char: string; confidence: number; source: string }[] }[] }[];
    };
    const letters = reading.columns.flatMap((c) => c.lines.flatMap((l) => l.letters));
    expect(await page.locator('.reading-text .letter').count()).toBe(letters.length);
    const uncertain = letters.filter((l) => l.source === 'ink' && l.confidence < 0.8).length;
    expect(await page.locator('.reading-text .letter.uncertain').count()).toBe(uncertain);
    expect(await page.locator('.reading-text .letter.lm').count()).toBe(
      letters.filter((l) => l.source === 'lm').length,
    );
    // Uncertain letters carry the Leiden underdot and a warm colour; sure ones are plain and near white.
    if (uncertain) {
      const u = page.locator('.reading-text .letter.uncertain').first();
      expect(await u.textContent()).toMatch(/\u0323$/);
      expect(await u.evaluate((e) => getComputedStyle(e).color)).toMatch(/rgb\(255, (200|107)/);
    }
    // Click the first letter read in the ink: its crop, its probability, its alternatives.
    const inkIndex = reading.columns[0]!.lines[0]!.letters.findIndex((l) => l.source === 'ink');
    await page
      .locator('.reading-text .reading-column')
      .first()
      .locator('.reading-line')
      .first()
      .locator('.letter')
      .nth(inkIndex)
      .click();
    const first = reading.columns[0]!.lines[0]!.letters[inkIndex]!;
    const detail = (await page.locator('.letter-detail').textContent())!;
    expect(detail).toContain(`p=${first.confidence.toFixed(2)}`);
    expect(detail).toContain(`Col. ${reading.columns[0]!.n}, line ${reading.columns[0]!.lines[0]!.n}`);
    const crop = await shot('05-letter-crop', '.letter-crop');
    let bright = 0;
    for (let i = 0; i < crop.data.length; i += 3) if (crop.data[i]! > 60) bright++;
    expect(bright, 'the crop shows ink').toBeGreaterThan(20);
    await shot('05-reading');
    // Correct it to another letter: saved in the reading (certain now) and as the known text of that line.
    const other = first.char === 'Α' ? 'Β' : 'Α';
    await page.fill('.letter-edit', other);
    await page.click('.letter-save');
    await page.waitForFunction(
      (c) => document.querySelector('.letter-detail')?.textContent?.includes('corrected; the reader had'),
      other,
    );
    const after = JSON.parse(await readFile(file, 'utf8'));
    const fixed = after.columns[0].lines[0].letters[inkIndex];
    expect(fixed).toMatchObject({ char: other, confidence: 1, source: 'ink', corrected: { from: first.char } });
    const lines = JSON.parse(
      await readFile(
        path.join(
          dir,
          'transcriptions',
          (await readdir(path.join(dir, 'transcriptions'))).find((f) => f.endsWith('.lines.json'))!,
        ),
        'utf8',
      ),
    );
    expect(lines.lines[0].text[inkIndex]).toBe(other);
    expect(await page.locator('.reading-text .letter.corrected').count()).toBe(1);
  }, 120_000);

  it('reads again, learning the glyphs from the corrected line too', async () => {
    await tab('reading');
    await page.click('.read-again');
    await page.waitForSelector('body[data-active-tab="training"]');
    expect(await page.isChecked('.job-form input[name="correctedLines"]')).toBe(true);
    await page.fill('.job-form input[name="beam"]', '50');
    expect(await startAndWait()).toBe('done');
    expect(await page.locator('.job-log').textContent()).toMatch(/1 corrected lines of \S+ to learn from/);
    await tab('reading');
  }, 300_000);

  it('exports into the corpus, lists the export, opens it and offers it as a download', async () => {
    await page.click('.export-leiden');
    await page.waitForSelector('.export-file[data-path$=".leiden.txt"]', LONG);
    const rel = (await page.locator('.export-file[data-path$=".leiden.txt"]').getAttribute('data-path'))!;
    expect(rel.startsWith('exports/')).toBe(true);
    const onDisk = await readFile(path.join(dir, rel), 'utf8');
    expect(onDisk).toMatch(/Col\. I/);
    await page.locator('.export-file[data-path$=".leiden.txt"] .export-open').click();
    await page.waitForFunction((p) => document.querySelector<HTMLElement>('.export-view')?.dataset.path === p, rel);
    expect(await page.locator('.export-view').textContent()).toBe(onDisk);
    const [dl] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('.export-file[data-path$=".leiden.txt"] .export-download').click(),
    ]);
    await dl.saveAs(path.join(OUT, 'download.leiden.txt'));
    expect(await readFile(path.join(OUT, 'download.leiden.txt'), 'utf8')).toBe(onDisk);
    // Nothing was written to the server's working directory.
    expect(existsSync(path.join(process.cwd(), 'exports', path.basename(rel)))).toBe(false);
    await shot('06-exported');
  }, 120_000);

  it('switches segments between two scrolls: only the chosen one’s layers, ink and reading are shown', async () => {
    await addFolder(sample2);
    const corpus = await Corpus.open(dir);
    const seg1 = corpus.records().find((r) => r.modality === 'segment-layers' && r.scroll === 'sample-s3')!;
    const seg2 = corpus.records().find((r) => r.modality === 'segment-layers' && r.scroll === 'sample-s5')!;
    const labels2 = corpus.records().find((r) => r.modality === 'ink-labels' && r.scroll === 'sample-s5')!;
    await tab('segment');
    const panel = page.locator('[data-panel="segment"]');
    await page.selectOption('select.segment-select', seg1.group!);
    await page.waitForFunction(
      (g) => document.querySelector<HTMLElement>('[data-panel="segment"]')?.dataset.segment === g,
      seg1.group,
    );
    await page.waitForFunction(
      () => Number(document.querySelector<HTMLElement>('[data-panel="segment"]')?.dataset.letters) > 0,
    );
    expect(await panel.getAttribute('data-shown-layers')).toContain('/ink');
    await shot('07-segment-scroll1', '[data-view="segment"]');

    await page.selectOption('select.segment-select', seg2.group!);
    await page.waitForFunction(
      (g) => document.querySelector<HTMLElement>('[data-panel="segment"]')?.dataset.segment === g,
      seg2.group,
    );
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('[data-panel="segment"]')?.dataset.letters === '0',
    );
    await page.waitForTimeout(500);
    const shown = (await panel.getAttribute('data-shown-layers'))!.split(',');
    expect(shown.length).toBeGreaterThan(0);
    for (const name of shown) expect(name.startsWith('sample-s5/'), name).toBe(true);
    expect(await page.locator('[data-view="segment"]').textContent()).not.toContain('letters read');
    // Screen pixels follow scroll 2's own layer 32 where it has no labels (scroll 1's ink would spoil this).
    const img = await shot('07-segment-scroll2', '[data-view="segment"]');
    const [, H, W] = seg2.shape;
    const surface = await corpus.readRegion(seg2, { z: [32, 33], y: [0, H], x: [0, W] });
    const lab = await corpus.readRecord(labels2);
    const um = seg2.voxelSizeUm ?? [1, 1, 1];
    const screen: number[] = [];
    const stored: number[] = [];
    for (let r = 1; r < H - 1; r++)
      for (let c = 1; c < W - 1; c++) {
        if (lab[r * W + c]) continue;
        const [x, y] = gridToScreen(img, { rows: H, cols: W, spacing: [um[1], um[2]] }, r, c);
        if (y < 24 || (x < 200 && y > img.height - 40)) continue;
        screen.push(lum(img, x, y));
        stored.push(surface[r * W + c]!);
      }
    expect(screen.length).toBeGreaterThan(500);
    expect(pearson(screen, stored), 'screen vs scroll 2 layer 32').toBeGreaterThan(0.8);
    // The Reading tab follows: scroll 2 has no reading, and none of scroll 1's is shown.
    await tab('reading');
    await page.waitForFunction(
      (g) => document.querySelector<HTMLElement>('[data-panel="reading"]')?.dataset.segment === g,
      seg2.group,
    );
    expect(await page.locator('.reading-text .letter').count()).toBe(0);
    expect(await page.locator('.reading-info').textContent()).toContain('not read yet');
  }, 300_000);

  it('has a tooltip on every control, and the shortcuts overlay on ?', async () => {
    for (const t of ['volume', 'segment', 'reading', 'compare', 'training']) await tab(t);
    const untitled = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('button, input, select, textarea')]
        .filter((e) => e.offsetParent !== null || e.closest('.panel'))
        .filter((e) => !(e as HTMLInputElement).type?.includes('hidden'))
        .filter((e) => !e.title && !e.closest('[title]'))
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}:${e.textContent?.slice(0, 20)}`),
    );
    expect(untitled).toEqual([]);
    await page.locator('body').press('?');
    await page.waitForSelector('dialog.help-overlay[open]');
    expect(await page.locator('.shortcuts').textContent()).toContain('double-click');
    await shot('08-help');
    await page.keyboard.press('Escape');
    await page.locator('body').press('3');
    await page.waitForSelector('body[data-active-tab="reading"]');
  }, 120_000);
});
