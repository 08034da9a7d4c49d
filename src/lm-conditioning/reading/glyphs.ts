/**
 * Glyph models learned from a labelled region whose text is known: each letter is a small template of ink
 * probabilities (line-band height x the letter's width). A line band is scored against a template with the
 * Bernoulli log-likelihood ratio of the ink map under "this letter here" vs "background" (best of a few vertical
 * shifts). Templates come from forced alignment of the known text to the labelled lines: first with a box of free
 * width per letter (ink vs no ink), then twice more with the learned templates. A temperature α that makes the
 * glyph scores calibrated letter probabilities is fitted on the same aligned letters.
 *
 *   const model = learnGlyphs(inkMap, [{ band, text: 'ΕΝΑΡΧΗ' }, ...], { pitch, alignOn: labelMap });
 *   const s = scoreTable(model, inkMap, band);      // s[c][x - band.xs]: LLR of letter c starting at x
 */
import { ALPHABET_SIZE, toLetterIds } from '../char-lm.js';
import type { InkMap } from './ink-map.js';
import { alignCuts, inkedExtent, learnAdvances, uniformAdvances } from './letter-boxes.js';
import { GREEK_ALPHABET } from '../greek-text.js';
import { ATLAS_HEIGHT, LETTER_ATLAS } from './letter-atlas.js';

/** A line band: rows centred on `yc` (half-height `r`), columns [xs, xe). */
export interface Band {
  yc: number;
  r: number;
  xs: number;
  xe: number;
}

/** The band of a line found by the layout (layout.ts): centred on it, half-height 0.45 of the line pitch. */
export function lineBand(line: { y0: number; y1: number; x0: number; x1: number }, pitch: number): Band {
  return { yc: Math.round((line.y0 + line.y1) / 2), r: Math.round(0.45 * pitch), xs: line.x0, xe: line.x1 };
}

export interface GlyphTemplate {
  width: number;
  /** (2r+1) x width ink probabilities, row-major. */
  t: Float32Array;
  /** How many aligned letters it was averaged from (0 = generic fallback). */
  count: number;
}

export interface GlyphModel {
  /** Band half-height the templates were made for. */
  r: number;
  /** Background ink probability of the map (the Bernoulli rendered model) — also `lo` of the Gaussian model. */
  background: number;
  /**
   * Gaussian pixel model, when set: the map is lo + (hi - lo) · shape + noise(σ), templates hold shapes in [0, 1].
   * Without it templates are Bernoulli ink probabilities against `background`.
   */
  gauss?: { lo: number; hi: number; sigma: number };
  templates: GlyphTemplate[];
  /** Temperature: letter probability ∝ exp(alpha * LLR). */
  alpha: number;
  /**
   * The temperature that makes a read letter's probability match how often such letters are right, fitted on
   * labelled lines the templates were not learned from (calibrate.ts). When set, a letter's confidence is what the
   * ink alone says at this temperature.
   */
  confidenceAlpha?: number;
  /**
   * Cost of placing a letter (score units), against reading a stretch as background: chosen on held-out labelled
   * lines so that the glyph evidence alone reads them with the fewest errors (calibrate.ts). Without it, narrow
   * letters fill every gap of a noisy map.
   */
  letterPenalty?: number;
  /** Median lineContrast (calibrate.ts) of the labelled lines the confidence was calibrated on: lines read fainter
   *  than this get a proportionally cooler confidence. */
  confidenceContrast?: number;
  /** Vertical shifts tried when scoring. */
  maxShift: number;
  /** Line pitch (px) of the map the glyphs were learned on. */
  pitch?: number;
  /** Letter height (px, layout.ts letterHeightOf) on the map the glyphs were learned on: another map is rescaled to
   *  it before reading. */
  letterHeight?: number;
}

export interface LabelledLine {
  band: Band;
  /** The known text of the line (normalised Greek). */
  text: string;
}

/** Median of the map: the background ink probability. */
export function mapBackground(map: InkMap): number {
  const s = Float32Array.from(map.data).sort();
  return Math.min(0.45, Math.max(0.01, s[Math.floor(s.length / 2)]!));
}

function px(map: InkMap, y: number, x: number, fill: number): number {
  return y < 0 || x < 0 || y >= map.height || x >= map.width ? fill : map.data[y * map.width + x]!;
}

export function llr(q: number, t: number, b: number): number {
  return q * Math.log(t / b) + (1 - q) * Math.log((1 - t) / (1 - b));
}

/** s[c][x - xs] for every letter c and start x in [xs, xe): best over vertical shifts. */
export function scoreTable(model: GlyphModel, map: InkMap, band: Band): Float64Array[] {
  const n = band.xe - band.xs;
  const { r, background: b, maxShift } = model;
  const h = 2 * r + 1;
  const maxW = Math.max(...model.templates.map((t) => t.width));
  // The band (with room for the shifts and the widest template), outside the map = background.
  const bh = h + 2 * maxShift;
  const bw = n + maxW;
  const q = new Float32Array(bh * bw);
  for (let i = 0; i < bh; i++)
    for (let j = 0; j < bw; j++) q[i * bw + j] = px(map, band.yc - r - maxShift + i, band.xs + j, b);
  return model.templates.map((tpl) => {
    // LLR = q·A + (1-q)·B = B + q·(A - B) per template pixel.
    const w = tpl.width;
    const slope = new Float32Array(h * w);
    let base = 0;
    const g = model.gauss;
    for (let k = 0; k < h * w; k++) {
      const t = tpl.t[k]!;
      if (g) {
        // log N(q; lo + d, σ) − log N(q; lo, σ) = d·q/σ² − d(2lo + d)/(2σ²), d = (hi − lo)·shape
        const d = (g.hi - g.lo) * t;
        slope[k] = d / (g.sigma * g.sigma);
        base -= (d * (2 * g.lo + d)) / (2 * g.sigma * g.sigma);
      } else {
        const A = Math.log(t / b);
        const B = Math.log((1 - t) / (1 - b));
        slope[k] = A - B;
        base += B;
      }
    }
    const row = new Float64Array(n);
    for (let x = 0; x < n; x++) {
      let best = -Infinity;
      for (let dy = 0; dy <= 2 * maxShift; dy++) {
        let s = base;
        for (let i = 0; i < h; i++) {
          const qo = (i + dy) * bw + x;
          const so = i * w;
          for (let j = 0; j < w; j++) s += q[qo + j]! * slope[so + j]!;
        }
        if (s > best) best = s;
      }
      row[x] = best;
    }
    return row;
  });
}

/**
 * Advance widths of the capitals relative to the letter height, as in common Greek book hands and typefaces
 * (Ι narrow; Μ, Φ, Ψ, Ω wide). Only used to start the alignment; learned widths replace them.
 */
export const RELATIVE_WIDTH: Record<string, number> = {
  Α: 0.74,
  Β: 0.6,
  Γ: 0.54,
  Δ: 0.76,
  Ε: 0.56,
  Ζ: 0.62,
  Η: 0.68,
  Θ: 0.76,
  Ι: 0.14,
  Κ: 0.62,
  Λ: 0.72,
  Μ: 0.88,
  Ν: 0.7,
  Ξ: 0.62,
  Ο: 0.76,
  Π: 0.72,
  Ρ: 0.6,
  Σ: 0.62,
  Τ: 0.68,
  Υ: 0.72,
  Φ: 0.84,
  Χ: 0.72,
  Ψ: 0.8,
  Ω: 0.8,
};

/** Letter height (px) of the text on a map: median over lines of the rows whose ink is above half the line's peak. */
export function estimateLetterHeight(map: InkMap, bands: Band[]): number {
  const b = mapBackground(map);
  const hs = bands.map((band) => {
    const prof: number[] = [];
    for (let y = band.yc - band.r; y <= band.yc + band.r; y++) {
      let s = 0;
      for (let x = band.xs; x < band.xe; x++) s += Math.max(0, px(map, y, x, b) - b);
      prof.push(s);
    }
    const m = Math.max(...prof);
    return prof.filter((v) => v > 0.5 * m).length;
  });
  hs.sort((a, c) => a - c);
  // Never more than the band allows (neighbouring lines bleed into a band on crowded pages).
  return Math.min(hs[Math.floor(hs.length / 2)] ?? bands[0]!.r, 1.4 * bands[0]!.r);
}

/** The atlas's letters decoded once: per typeface, per letter, coverage in [0, 1]. */
let atlas: { width: number; cov: Float32Array }[][] | undefined;
function atlasLetters(): { width: number; cov: Float32Array }[][] {
  atlas ??= LETTER_ATLAS.map((face) =>
    face.letters.map((l) => ({ width: l.width, cov: Float32Array.from(l.hex, (d) => parseInt(d, 16) / 15) })),
  );
  return atlas;
}

/**
 * Coverage of letter c printed `height` px high and stretched to `width` px, averaged over the atlas's typefaces
 * (letter-atlas.ts): each output pixel the mean of 4x4 samples of each face's glyph.
 */
export function printedLetter(c: number, height: number, width: number): Float32Array {
  const out = new Float32Array(Math.max(0, height * width));
  const faces = atlasLetters();
  const S = 4;
  for (const face of faces) {
    const g = face[c]!;
    for (let i = 0; i < height; i++)
      for (let j = 0; j < width; j++) {
        let sum = 0;
        for (let a = 0; a < S; a++)
          for (let e = 0; e < S; e++) {
            const sy = Math.floor(((i + (a + 0.5) / S) / height) * ATLAS_HEIGHT);
            const sx = Math.floor(((j + (e + 0.5) / S) / width) * g.width);
            sum += g.cov[Math.min(ATLAS_HEIGHT - 1, sy) * g.width + Math.min(g.width - 1, sx)]!;
          }
        out[i * width + j] = out[i * width + j]! + sum / (S * S * faces.length);
      }
  }
  return out;
}

/**
 * Templates of the capitals as typefaces print them (letter-atlas.ts), at the text's letter height, stretched over
 * each letter's width (book-hand proportions, RELATIVE_WIDTH, unless widths are given): a starting point only, and
 * the prior that letters seen a few times in the labelled lines are shrunk toward.
 */
export function renderedTemplates(
  letterHeight: number,
  strokeWidth: number,
  r: number,
  b: number,
  widths?: number[],
): GlyphTemplate[] {
  const h = 2 * r + 1;
  const lh = Math.max(1, Math.round(letterHeight));
  const top = Math.round(r - lh / 2);
  return [...GREEK_ALPHABET].map((ch, c) => {
    const w = widths?.[c] ?? Math.max(3, Math.round(RELATIVE_WIDTH[ch]! * letterHeight + strokeWidth)) + 2;
    const t = new Float32Array(h * w).fill(b);
    // A pixel of margin each side, as the learned templates have.
    const cov = printedLetter(c, lh, Math.max(1, w - 2));
    for (let i = 0; i < lh; i++) {
      const y = top + i;
      if (y < 0 || y >= h) continue;
      for (let j = 0; j < w - 2; j++) t[y * w + j + 1] = b + (0.8 - b) * cov[i * (w - 2) + j]!;
    }
    return { width: w, t: blurTemplate(t, h, w).map((v) => Math.min(0.9, Math.max(Math.max(0.02, b), v))), count: 0 };
  });
}

interface Placed {
  c: number;
  x: number;
  w: number;
  /** Vertical offset of the letter from the band centre (registration). */
  dy?: number;
}

/** The vertical shift (within ±maxShift) at which letter c's template, starting at x, fits best. */
export function bestShift(model: GlyphModel, map: InkMap, band: Band, c: number, x: number): number {
  let best = -Infinity;
  let arg = 0;
  for (let dy = -model.maxShift; dy <= model.maxShift; dy++) {
    // scoreTable searches shifts itself: restrict it to 0 (and to letter c) to score this exact shift.
    const exact = scoreTable({ ...model, maxShift: 0, templates: [model.templates[c]!] }, map, {
      ...band,
      yc: band.yc + dy,
      xs: x,
      xe: x + 1,
    })[0]![0]!;
    if (exact > best) ((best = exact), (arg = dy));
  }
  return arg;
}

/** Forced alignment of `ids` to a band with free-width boxes (ink vs background), widths in [wmin, wmax]. */
function alignBoxes(
  map: InkMap,
  band: Band,
  ids: Uint8Array,
  b: number,
  wmin: number,
  wmax: number,
  core: number,
): Placed[] | undefined {
  const n = band.xe - band.xs;
  const col = new Float64Array(n + 1); // prefix sums of the per-column box score
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let y = band.yc - core; y <= band.yc + core; y++) s += llr(px(map, y, band.xs + k, b), 0.5, b);
    col[k + 1] = col[k]! + s;
  }
  const m = ids.length;
  const dp = Array.from({ length: m + 1 }, () => new Float64Array(n + 1).fill(-Infinity));
  const back = Array.from({ length: m + 1 }, () => new Int32Array(n + 1));
  for (let x = 0; x <= n; x++) dp[0]![x] = 0;
  for (let k = 1; k <= m; k++) {
    for (let x = 1; x <= n; x++) {
      let best = dp[k]![x - 1]!;
      let arg = -1;
      for (let w = wmin; w <= wmax && w <= x; w++) {
        const v = dp[k - 1]![x - w]! + col[x]! - col[x - w]!;
        if (v > best) ((best = v), (arg = w));
      }
      dp[k]![x] = best;
      back[k]![x] = arg;
    }
  }
  if (!Number.isFinite(dp[m]![n]!)) return undefined;
  const out: Placed[] = [];
  let x = n;
  for (let k = m; k > 0;) {
    const w = back[k]![x]!;
    if (w < 0) x--;
    else {
      out.push({ c: ids[k - 1]!, x: band.xs + x - w, w });
      x -= w;
      k--;
    }
  }
  return out.reverse();
}

/** Forced alignment with templates (fixed width per letter, neighbours may overlap by up to 30%); scores from scoreTable. */
function alignTemplates(model: GlyphModel, table: Float64Array[], band: Band, ids: Uint8Array): Placed[] | undefined {
  const n = band.xe - band.xs;
  const m = ids.length;
  const dp = Array.from({ length: m + 1 }, () => new Float64Array(n + 1).fill(-Infinity));
  const adv = Array.from({ length: m + 1 }, () => new Uint8Array(n + 1)); // advance taken (0 = background pixel)
  for (let x = 0; x <= n; x++) dp[0]![x] = 0;
  for (let k = 1; k <= m; k++) {
    const c = ids[k - 1]!;
    const w = model.templates[c]!.width;
    const minAdv = Math.max(1, Math.ceil(0.7 * w));
    for (let x = 1; x <= n; x++) {
      let best = dp[k]![x - 1]!;
      let a = 0;
      for (let ww = w; ww >= minAdv; ww--) {
        if (x - ww < 0) continue;
        // Letter k starts at x - ww; the next one may start at x, overlapping this one's last w - ww pixels.
        const v = dp[k - 1]![x - ww]! + table[c]![x - ww]! - 0.5 * (w - ww);
        if (v > best) ((best = v), (a = ww));
      }
      dp[k]![x] = best;
      adv[k]![x] = a;
    }
  }
  // Letters may run past the band's end by their overlap: take the best end.
  if (!Number.isFinite(dp[m]![n]!)) return undefined;
  const out: Placed[] = [];
  let x = n;
  for (let k = m; k > 0;) {
    const a = adv[k]![x]!;
    if (a === 0) x--;
    else {
      const c = ids[k - 1]!;
      out.push({ c, x: band.xs + x - a, w: model.templates[c]!.width });
      x -= a;
      k--;
    }
  }
  return out.reverse();
}

/** Averages the aligned crops into templates (letters never seen get the mean of all crops). */
function buildTemplates(
  map: InkMap,
  lines: { band: Band; placed: Placed[] }[],
  r: number,
  b: number,
  widths: number[],
  prior?: GlyphTemplate[],
): GlyphTemplate[] {
  const h = 2 * r + 1;
  const sums = widths.map((w) => new Float64Array(h * w));
  const counts = new Array<number>(ALPHABET_SIZE).fill(0);
  for (const { band, placed } of lines) {
    for (const p of placed) {
      const w = widths[p.c]!;
      const s = sums[p.c]!;
      // Centre the template's width on the aligned box.
      const x0 = Math.round(p.x + p.w / 2 - w / 2);
      const yc = band.yc + (p.dy ?? 0);
      for (let i = 0; i < h; i++)
        for (let j = 0; j < w; j++) s[i * w + j] = s[i * w + j]! + px(map, yc - r + i, x0 + j, b);
      counts[p.c]!++;
    }
  }
  const total = counts.reduce((a, c) => a + c, 0);
  const meanW = Math.round(widths.reduce((a, w, c) => a + w * counts[c]!, 0) / Math.max(1, total));
  // Generic template: the mean crop of every letter at the mean width (centred).
  const generic = new Float64Array(h * meanW);
  for (let c = 0; c < ALPHABET_SIZE; c++) {
    const w = widths[c]!;
    if (!counts[c]) continue;
    for (let i = 0; i < h; i++)
      for (let j = 0; j < meanW; j++) {
        const jj = j - Math.floor((meanW - w) / 2);
        if (jj >= 0 && jj < w) generic[i * meanW + j] = generic[i * meanW + j]! + sums[c]![i * w + jj]!;
        else generic[i * meanW + j] = generic[i * meanW + j]! + b * counts[c]!;
      }
  }
  const clamp = (v: number) => Math.min(0.95, Math.max(Math.max(0.02, b), v));
  const genericMean = Float32Array.from(generic, (v) => v / Math.max(1, total));
  // Few examples per letter: shrink each mean toward a prior (the printed letter if given, else the generic
  // letter) by SHRINK pseudo-examples, then blur by about a stroke's jitter so a template generalises to letters
  // written a pixel off. Four for the printed letter: on dev scrolls 1-8 it read their truth ink LM off at 36.0 %
  // CER (2: 37.5 %, 8: 37.5 %, 16: 35.9 %), their predicted ink decoded at 62.5 % own and 72.6 % cross (2: 62.6 and
  // 70.5 %); the typefaces tell a letter about as well as its few written examples.
  const SHRINK = prior ? 4 : 0.5;
  return widths.map((w, c) => {
    const pr = prior?.[c];
    if (pr && pr.width === w) {
      const t = Float32Array.from(sums[c]!, (v, k) => (v + SHRINK * pr.t[k]!) / (counts[c]! + SHRINK));
      return { width: w, t: blurTemplate(t, h, w).map(clamp), count: counts[c]! };
    }
    if (!counts[c]) return { width: meanW, t: blurTemplate(genericMean, h, meanW).map(clamp), count: 0 };
    const t = new Float32Array(h * w);
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        const jj = j + Math.floor((meanW - w) / 2);
        const g = jj >= 0 && jj < meanW ? genericMean[i * meanW + jj]! : b;
        t[i * w + j] = (sums[c]![i * w + j]! + SHRINK * g) / (counts[c]! + SHRINK);
      }
    return { width: w, t: blurTemplate(t, h, w).map(clamp), count: counts[c]! };
  });
}

function percentile(map: InkMap, p: number): number {
  const s = Float32Array.from(map.data).sort();
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

/** Mean of the map where the cleaner map shows ink (hi) and does not (lo), and the background's spread (σ). */
function inkStatistics(
  map: InkMap,
  clean: InkMap,
  bands: Band[],
  cut: number,
): { lo: number; hi: number; sigma: number } {
  let si = 0;
  let ni = 0;
  let sb = 0;
  let sb2 = 0;
  let nb = 0;
  for (const band of bands) {
    for (let y = band.yc - band.r; y <= band.yc + band.r; y++) {
      for (let x = band.xs; x < band.xe; x++) {
        if (y < 0 || y >= map.height || x < 0 || x >= map.width) continue;
        const q = map.data[y * map.width + x]!;
        if (clean.data[y * clean.width + x]! > cut) ((si += q), ni++);
        else ((sb += q), (sb2 += q * q), nb++);
      }
    }
  }
  const lo = nb ? sb / nb : 0.05;
  const hi = ni ? si / ni : 0.9;
  const sigma = Math.max(0.02, Math.sqrt(Math.max(0, sb2 / Math.max(1, nb) - lo * lo)));
  return { lo, hi: Math.max(hi, lo + 0.05), sigma };
}

/** 3x3 binomial blur of a template (edges replicate). */
export function blurTemplate(t: Float32Array, h: number, w: number): Float32Array {
  const out = new Float32Array(t.length);
  const k = [0.25, 0.5, 0.25];
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++) {
      let s = 0;
      for (let di = -1; di <= 1; di++)
        for (let dj = -1; dj <= 1; dj++) {
          const ii = Math.min(h - 1, Math.max(0, i + di));
          const jj = Math.min(w - 1, Math.max(0, j + dj));
          s += k[di + 1]! * k[dj + 1]! * t[ii * w + jj]!;
        }
      out[i * w + j] = s;
    }
  return out;
}

/** Temperature α maximising the log-probability of the aligned letters among all 24 at the same place. */
function fitAlpha(model: GlyphModel, lines: { table: Float64Array[]; band: Band; placed: Placed[] }[]): number {
  let bestA = 0.1;
  let bestLL = -Infinity;
  for (let e = -4; e <= 1; e += 0.1) {
    const a = 10 ** e;
    let ll = 0;
    for (const { table, band, placed } of lines) {
      for (const p of placed) {
        const k = p.x - band.xs;
        if (k < 0 || k >= table[0]!.length) continue;
        const v = table.map((row) => a * row[k]!);
        const m = Math.max(...v);
        ll += v[p.c]! - m - Math.log(v.reduce((s, x) => s + Math.exp(x - m), 0));
      }
    }
    if (ll > bestLL) ((bestLL = ll), (bestA = a));
  }
  return bestA;
}

export interface LearnOptions {
  pitch: number;
  /** A cleaner map to align on (e.g. the ink labels); templates are still cut from `map`. */
  alignOn?: InkMap;
  iterations?: number;
  /** Re-estimate letter widths from the advances of a first alignment (for hands far from book proportions). */
  relearnWidths?: boolean;
  /**
   * How the known text is first aligned to its lines: 'rendered' (default) by the printed capitals
   * (letter-atlas.ts) at book-hand proportions, or 'cuts' by the ink alone (letter-boxes.ts: cuts through the least
   * ink, advances learned per letter; no letter shapes assumed), for hands far from book capitals. Neither is better
   * on every scroll (reader.ts chooseAlignment tries both). Either way rare letters lean on the printed capitals.
   */
  align?: 'cuts' | 'rendered';
}

export interface LearnedGlyphs {
  model: GlyphModel;
  /** Aligned letter boxes per labelled line (for inspection and tests). */
  aligned: { band: Band; placed: { char: number; x: number; w: number }[] }[];
}

export function learnGlyphs(map: InkMap, lines: LabelledLine[], opts: LearnOptions): LearnedGlyphs {
  if (opts.align === 'cuts') return learnGlyphsFromCuts(map, lines, opts);
  const { pitch } = opts;
  const r = Math.round(0.45 * pitch);
  const b = mapBackground(map);
  const alignMap = opts.alignOn ?? map;
  const alignB = Math.max(0.02, mapBackground(alignMap));
  const maxShift = Math.max(1, Math.round(pitch / 7));
  const letterHeight = estimateLetterHeight(
    alignMap,
    lines.map((l) => l.band),
  );
  // Start: forced alignment of the known text with the printed capitals, on the cleaner map.
  const rendered: GlyphModel = {
    r,
    background: alignB,
    templates: renderedTemplates(letterHeight, Math.max(1, letterHeight / 6), r, alignB),
    alpha: 1,
    maxShift,
  };
  let aligned = lines
    .map((l) => {
      const ids = toLetterIds(l.text);
      return {
        band: l.band,
        ids,
        placed: alignTemplates(rendered, scoreTable(rendered, alignMap, l.band), l.band, ids),
      };
    })
    .filter((l): l is { band: Band; ids: Uint8Array; placed: Placed[] } => l.placed !== undefined);
  // Widths from the hand itself: each letter's median advance (start to next start) in the first alignment, plus
  // a pixel of margin each side; letters not seen keep the rendered width scaled like the seen ones. Then align again.
  const advances: number[][] = Array.from({ length: ALPHABET_SIZE }, () => []);
  const ratios: number[] = [];
  for (const l of aligned)
    l.placed.forEach((p, k) => {
      const next = l.placed[k + 1];
      if (next) {
        advances[p.c]!.push(next.x - p.x);
        ratios.push((next.x - p.x) / (rendered.templates[p.c]!.width - 2));
      }
    });
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const ratio = ratios.length ? median(ratios) : 1;
  const widths = !opts.relearnWidths
    ? rendered.templates.map((t) => t.width)
    : rendered.templates.map((t, c) =>
        advances[c]!.length
          ? Math.max(3, median(advances[c]!) + 2)
          : Math.max(3, Math.round((t.width - 2) * ratio) + 2),
      );
  const rendered2: GlyphModel = {
    ...rendered,
    templates: renderedTemplates(letterHeight, Math.max(1, letterHeight / 6), r, alignB, widths),
  };
  if (opts.relearnWidths)
    aligned = aligned.map((l) => ({
      ...l,
      placed: alignTemplates(rendered2, scoreTable(rendered2, alignMap, l.band), l.band, l.ids) ?? l.placed,
    }));
  aligned = aligned.map((l) => ({
    ...l,
    placed: l.placed.map((p) => ({ ...p, dy: bestShift(rendered2, alignMap, l.band, p.c, p.x) })),
  }));
  for (let it = 0; it < (opts.iterations ?? 0); it++) {
    const alignModel: GlyphModel = {
      r,
      background: alignB,
      alpha: 1,
      maxShift,
      templates: buildTemplates(alignMap, aligned, r, alignB, widths),
    };
    aligned = aligned.map((l) => ({
      ...l,
      placed: alignTemplates(alignModel, scoreTable(alignModel, alignMap, l.band), l.band, l.ids) ?? l.placed,
    }));
  }
  return finishGlyphs(map, alignMap, alignB, lines, aligned, r, maxShift, widths, rendered2.templates);
}

/**
 * Glyphs aligned without any assumed letter shapes: the known text cut into letters by the ink (letter-boxes.ts),
 * templates as wide as each letter's learned advance plus a pixel each side, registered vertically with a first set
 * of templates (rare letters shrunk toward the mean letter), then averaged again, rare letters now shrunk toward the
 * printed capital at that width.
 */
function learnGlyphsFromCuts(map: InkMap, lines: LabelledLine[], opts: LearnOptions): LearnedGlyphs {
  const { pitch } = opts;
  const r = Math.round(0.45 * pitch);
  const alignMap = opts.alignOn ?? map;
  const alignB = Math.max(0.02, mapBackground(alignMap));
  const maxShift = Math.max(1, Math.round(pitch / 7));
  const unit = estimateLetterHeight(
    alignMap,
    lines.map((l) => l.band),
  );
  const known = lines.map((l) => ({
    band: inkedExtent(alignMap, l.band, Math.round(pitch / 2)),
    text: l.text,
    ids: toLetterIds(l.text),
  }));
  let adv = uniformAdvances(known, unit);
  let cuts = known.map((l) => alignCuts(alignMap, l.band, l.ids, unit, adv));
  for (let round = 0; round < 2; round++) {
    adv = learnAdvances(
      cuts,
      known.map((l) => l.ids),
      unit,
    );
    cuts = known.map(
      (l, i) => alignCuts(alignMap, l.band, l.ids, unit, { ...adv, sigma: Math.max(adv.sigma, 0.12) }) ?? cuts[i],
    );
  }
  adv = learnAdvances(
    cuts,
    known.map((l) => l.ids),
    unit,
  );
  // Templates 0.8 of the mean advance (+ a margin pixel each side): the decoder skips background between letters
  // for free but cannot fit a letter closer than its template allows (measured on the sample: 1.0 read too few letters).
  const widths = Array.from(adv.mean, (a) => Math.max(3, Math.round(0.8 * a * unit) + 2));
  // Template starts: each letter's template centred on its cut-to-cut box (with the band of its labelled line).
  let aligned = known.flatMap((l, i) => {
    const c = cuts[i];
    if (!c) return [];
    const placed: Placed[] = Array.from(l.ids, (id, k) => ({
      c: id,
      x: Math.round((c[k]! + c[k + 1]!) / 2 - widths[id]! / 2),
      w: widths[id]!,
    }));
    return [{ band: lines[i]!.band, ids: l.ids, placed }];
  });
  const first: GlyphModel = {
    r,
    background: alignB,
    alpha: 1,
    maxShift,
    templates: buildTemplates(alignMap, aligned, r, alignB, widths),
  };
  aligned = aligned.map((l) => ({
    ...l,
    placed: l.placed.map((p) => ({ ...p, dy: bestShift(first, alignMap, l.band, p.c, p.x) })),
  }));
  // Letters seen a few times lean on how typefaces print them, as with the rendered alignment.
  const prior = renderedTemplates(unit, Math.max(1, unit / 6), r, alignB, widths);
  return finishGlyphs(map, alignMap, alignB, lines, aligned, r, maxShift, widths, prior);
}

/**
 * Templates from aligned letters: shapes = the aligned crops of the cleaner map rescaled to [0, 1] (rare letters
 * shrunk toward `prior` if given, else the mean letter); intensities and noise = the map to be read, measured inside
 * the lines under the shapes (ink) and away from them (background); temperature fitted on the aligned letters.
 */
function finishGlyphs(
  map: InkMap,
  alignMap: InkMap,
  alignB: number,
  lines: LabelledLine[],
  aligned: { band: Band; placed: Placed[] }[],
  r: number,
  maxShift: number,
  widths: number[],
  prior?: GlyphTemplate[],
): LearnedGlyphs {
  const shapeLo = alignB;
  const shapeHi = percentile(alignMap, 0.99);
  // Prior for rare letters (when given: the rendered capital), in the clean map's intensity units.
  const shapePrior = prior?.map((t) => ({
    ...t,
    t: t.t.map((v) => shapeLo + ((v - alignB) / (0.8 - alignB)) * (shapeHi - shapeLo)),
  }));
  const rawShapes = buildTemplates(alignMap, aligned, r, alignB, widths, shapePrior);
  const shapes = rawShapes.map((t) => ({
    ...t,
    t: t.t.map((v) => Math.min(1, Math.max(0, (v - shapeLo) / Math.max(1e-6, shapeHi - shapeLo)))),
  }));
  const stats = inkStatistics(
    map,
    alignMap,
    lines.map((l) => l.band),
    (shapeLo + shapeHi) / 2,
  );
  const model: GlyphModel = { r, background: stats.lo, gauss: stats, templates: shapes, alpha: 0.1, maxShift };
  model.alpha = fitAlpha(
    model,
    aligned.map((l) => ({ ...l, table: scoreTable(model, map, l.band) })),
  );
  return {
    model,
    aligned: aligned.map((l) => ({ band: l.band, placed: l.placed.map((p) => ({ char: p.c, x: p.x, w: p.w })) })),
  };
}
