/**
 * `aunn demo --quick` end to end, as a user runs it: a child process writes the report, and the test reads what it
 * wrote — the Markdown's sections and tables (numbers parsed and checked for sense), the PNGs (decoded), the exports
 * (text with Greek letters, well-formed EpiDoc XML) — then runs it again to see the unchanged steps reused.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DOMParser } from '@xmldom/xmldom';
import { decode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs the demo; resolves with its exit code and output (a failed step makes the code non-zero, the report is still written). */
async function demo(out: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [path.join(ROOT, 'bin/aunn.js'), 'demo', '--quick', '--out', out], {
      cwd: ROOT,
      timeout: 360_000,
      maxBuffer: 64 << 20,
    });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The Markdown tables under `## title` (each as header + rows of cells). */
function tables(md: string, title: string): { header: string[]; rows: string[][] }[] {
  const start = md.indexOf(`\n## ${title}\n`);
  if (start < 0) return [];
  const end = md.indexOf('\n## ', start + 4);
  const body = md.slice(start, end < 0 ? undefined : end).split('\n');
  const out: { header: string[]; rows: string[][] }[] = [];
  const cells = (l: string) =>
    l
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
  for (let i = 0; i < body.length; i++) {
    if (!body[i]!.startsWith('|') || !body[i + 1]?.startsWith('|---')) continue;
    const t = { header: cells(body[i]!), rows: [] as string[][] };
    for (i += 2; i < body.length && body[i]!.startsWith('|'); i++) t.rows.push(cells(body[i]!));
    out.push(t);
  }
  return out;
}

function column(t: { header: string[]; rows: string[][] }, name: string): string[] {
  const k = t.header.indexOf(name);
  if (k < 0) throw new Error(`no column '${name}' in [${t.header.join(', ')}]`);
  return t.rows.map((r) => r[k]!);
}

describe('aunn demo --quick', () => {
  let out: string;
  let md: string;
  let first: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), 'aunn-demo-'));
    first = await demo(out);
    md = await readFile(path.join(out, 'report.md'), 'utf8');
  }, 420_000);

  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('prints a header and a time for every step, and writes the report', async () => {
    expect(first.stderr).toMatch(/== \[1\/12\] Sample scrolls/);
    expect(first.stderr).toMatch(/== \[12\/12\] Report ==/);
    expect(first.stdout).toMatch(/report: .*report\.html/);
    const html = await readFile(path.join(out, 'report.html'), 'utf8');
    for (const h of [
      'Overview',
      'AUNN training',
      'Transfer: finetuned vs from scratch on scroll 2',
      'Ink',
      'Text',
      'Steps and times',
    ]) {
      expect(md).toContain(`\n## ${h}\n`);
      expect(html).toContain(`<h2>${h.replace(/&/g, '&amp;')}</h2>`);
    }
    expect(html).toContain('<svg'); // the transfer chart, inline
  });

  it('lists every step with its status and time; only the reading may fail, and then says why', () => {
    const [steps] = tables(md, 'Steps and times');
    expect(steps!.rows).toHaveLength(12);
    const failed = steps!.rows.filter((r) => r[2] === 'failed');
    for (const r of steps!.rows) {
      if (r[1]!.startsWith('Read the text') || r[1]!.startsWith('Export'))
        expect(['done', 'failed', 'not available']).toContain(r[2]);
      else expect(r[2], `${r[1]}: ${r[4]}`).toBe('done');
    }
    for (const r of failed) expect(r[4]!.length, 'a failed step names its reason').toBeGreaterThan(10);
    // a failed step makes the demo exit non-zero; the report is written all the same
    expect(first.code).toBe(failed.length ? 1 : 0);
    const seconds = column(steps!, 'time (s)').map(Number);
    for (const s of seconds) expect(s).toBeGreaterThanOrEqual(0);
    expect(seconds[2]).toBeGreaterThan(1); // training took measurable time
    expect(md).toMatch(
      /(ONNX Runtime \(native CPU\)|TensorFlow\.js, backend (wasm|tensorflow|cpu)), \d+ worker threads/,
    );
  });

  it('scores ink like the field on both scrolls, with the baseline in the same table', () => {
    const [ink] = tables(md, 'Ink');
    const rows = ink!.rows.map((r) => Object.fromEntries(ink!.header.map((h, i) => [h, r[i]!])));
    const readout1 = rows.find(
      (r) => r.method === 'conv readout' && r.scroll === 'scroll 1' && r.layers === 'observed',
    );
    const readout2 = rows.find(
      (r) => r.method === 'conv readout' && r.scroll === 'scroll 2' && r.layers === 'observed',
    );
    const logistic1 = rows.find((r) => r.method!.startsWith('logistic') && r.scroll === 'scroll 1');
    expect(readout1 && readout2 && logistic1).toBeTruthy();
    for (const r of rows) {
      for (const k of ['F0.5', 'precision', 'recall', 'AUC']) {
        const v = Number(r[k]);
        expect(v, `${r.method} ${r.scroll} ${k}`).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
    // even a few seconds of readout training reads ink better than chance on the unlabelled two thirds
    expect(Number(readout1!.AUC)).toBeGreaterThan(0.55);
    expect(Number(readout1!['F0.5'])).toBeGreaterThan(0.2);
  });

  it('draws the transfer curve from finetuned and scratch runs of equal steps', async () => {
    const [train] = tables(md, 'AUNN training');
    const stepsOf = (run: string) => Number(train!.rows.find((r) => r[0] === run)![2]);
    expect(stepsOf('finetune on scroll 2')).toBe(stepsOf('scratch on scroll 2'));
    const curve = tables(md, 'Transfer: finetuned vs from scratch on scroll 2').find((t) => t.header[0] === 'steps')!;
    expect(curve.rows.length).toBeGreaterThanOrEqual(2);
    const xs = column(curve, 'steps').map(Number);
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    for (const v of [...column(curve, 'finetuned PSNR (dB)'), ...column(curve, 'scratch PSNR (dB)')].filter(
      (v) => v !== 'n/a',
    )) {
      expect(Number(v)).toBeGreaterThan(0);
      expect(Number(v)).toBeLessThan(60);
    }
    const png = decode(await readFile(path.join(out, 'images', 'transfer.png')));
    expect([png.width, png.height]).toEqual([640, 360]);
  });

  it('shows ink pictures next to the truth (PNG, four bands on the segment grid)', async () => {
    const images = md.match(/!\[[^\]]*\]\((images\/ink-[^)]+\.png)\)/g) ?? [];
    expect(images).toHaveLength(2);
    const overview = tables(md, 'Overview')[1]!;
    const seg1 = column(overview, 'segment (W x H x layers)')[0]!.split('x').map(Number);
    const png = decode(await readFile(path.join(out, 'images', 'ink-sample-s1.png')));
    expect(png.width).toBe(seg1[0]);
    expect(png.height).toBe(4 * seg1[1]! + 3 * 4);
  });

  it('reads the text with and without the LM, scores it, and exports it (or reports why it could not)', async () => {
    const [steps] = tables(md, 'Steps and times');
    const read = steps!.rows.find((r) => r[1]!.startsWith('Read the text'))!;
    const [cer] = tables(md, 'Text');
    if (read[2] !== 'done') {
      // the reader could not read this ink: the report says so, with the reader's reason, and nothing is exported
      expect(cer).toBeUndefined();
      expect(md).toMatch(/## Text\n\nNot available \(see the step table\)/);
      expect(read[4]).toMatch(/\S/);
      expect(existsSync(path.join(out, 'exports'))).toBe(false);
      return;
    }
    expect(cer, 'CER table').toBeTruthy();
    const lms = column(cer!, 'LM');
    expect(lms).toContain('off');
    expect(lms).toContain('decode');
    const scrolls = column(cer!, 'scroll');
    column(cer!, 'CER').forEach((v, i) => {
      expect(Number(v)).toBeGreaterThanOrEqual(0);
      // scroll 1's glyphs were learned on its own labelled third; the CER is edit distance / truth letters
      if (scrolls[i] === 'scroll 1') expect(Number(v)).toBeLessThan(1.5);
      else expect(Number.isFinite(Number(v))).toBe(true);
    });
    const letters = column(cer!, 'letters').map(Number);
    expect(letters[0]).toBeGreaterThan(100); // the unlabelled columns of scroll 1
    const files = await readdir(path.join(out, 'exports'));
    const txt = files.find((f) => f.endsWith('.txt') && !f.endsWith('.leiden.txt'));
    const leiden = files.find((f) => f.endsWith('.leiden.txt'));
    const xml = files.find((f) => f.endsWith('.xml'));
    expect(txt && leiden && xml).toBeTruthy();
    expect(await readFile(path.join(out, 'exports', txt!), 'utf8')).toMatch(/[Α-Ω]{5,}/);
    const errors: string[] = [];
    const doc = new DOMParser({
      onError: (level, msg) => void (level !== 'warning' && errors.push(msg)),
    }).parseFromString(await readFile(path.join(out, 'exports', xml!), 'utf8'), 'text/xml');
    expect(errors).toEqual([]);
    expect(doc.documentElement?.localName).toBe('TEI');
    const pngs = files.filter((f) => f.endsWith('.png'));
    expect(pngs.length).toBeGreaterThan(0);
    expect(decode(await readFile(path.join(out, 'exports', pngs[0]!))).width).toBeGreaterThan(0);
    // the read text is in the report too
    expect(md).toMatch(/```\nCol\. 1\n[Α-Ω]+/);
  });

  it('a second run reuses the samples, the corpus and the models', async () => {
    const again = await demo(out);
    expect(again.code).toBe(first.code);
    expect(again.stderr).toMatch(/sample-s1: reused/);
    const md2 = await readFile(path.join(out, 'report.md'), 'utf8');
    const [steps] = tables(md2, 'Steps and times');
    const status = Object.fromEntries(steps!.rows.map((r) => [r[1]!.split(' (')[0], r[2]]));
    expect(status['Train the AUNN on scroll 1']).toBe('reused');
    expect(status['Finetune on scroll 2']).toBe('reused');
    expect(existsSync(path.join(out, 'work', 'model', 'v0002.ckpt'))).toBe(true);
    // the numbers of the reused training come back unchanged
    expect(tables(md2, 'AUNN training')[0]).toEqual(tables(md, 'AUNN training')[0]);
  }, 300_000);
});
