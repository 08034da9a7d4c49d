/**
 * Reading lines: a beam search along x over letters and background. At each x a hypothesis either skips one
 * background pixel or places a letter c (its template's width), scored α·LLR(c at x) (+ log P_LM(c | letters so far)
 * when a language model is given). Hypotheses that reach the same x in the same LM state are merged, the best kept.
 * The lines of a column are read as one text: the beam at a line's end starts the next line, so a line is not
 * committed to its best reading before the next line's ink and the LM have had their say.
 * Each read letter gets a probability: its glyph and LM evidence against the 23 other letters at the same place.
 *
 *   const letters = decodeLine(map, band, glyphs, { lm });             // ReadLetter[] with bbox and confidence
 *   const lines = decodeLines(map, bands, glyphs, { lm });             // one ReadLetter[] per band
 */
import { ALPHABET_SIZE, type CharLM } from '../char-lm.js';
import { GREEK_ALPHABET } from '../greek-text.js';
import type { ReadLetter } from './reading-file.js';
import { scoreTable, type Band, type GlyphModel } from './glyphs.js';
import type { InkMap } from './ink-map.js';

export interface DecodeOptions {
  /** Language model; omit for glyph scores only (`--lm off`). */
  lm?: CharLM;
  /** Letters before the first line (e.g. the previous lines of the column) as LM context. */
  context?: ArrayLike<number>;
  beam?: number;
  /** Weight of the LM log-probability (default 1). */
  lmWeight?: number;
  /**
   * With an LM and a calibrated model (`confidenceAlpha`): a letter may be placed only where the ink gives it at least
   * this share of the probability of the ink's best letter there (default INK_FLOOR). The LM chooses between
   * readings the ink allows; it cannot write a letter the ink speaks against.
   */
  inkFloor?: number;
  /** Per band, a factor (≤ 1) on the calibrated confidence temperature: lines whose ink is fainter than the lines the
   *  calibration was fitted on (lineContrast) are read with less confidence. */
  confidenceScale?: ArrayLike<number>;
  /** Called for every letter of the reading with its raw glyph log-likelihood ratios (one per letter of the alphabet). */
  onLetter?: (line: number, index: number, llr: Float64Array) => void;
  /** The bands' glyph scores from lineTables (same map, bands and templates), when already computed. */
  lines?: LineTable[];
  /** Called after each line's search (decodeLines). */
  onLine?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * Beam width of the search: a beam of 20 lost the right reading that glyphs and LM together scored higher. On the dev
 * scrolls 3–5 (`npm run bench -- --only reading`, AUNN_READING_BEAM) a beam of 200 reads as well as one of 1000
 * (mean CER 0.72 against 0.73) in a quarter of the time (7 s a segment against 21–36 s).
 */
export const DEFAULT_BEAM = 200;

/** Default `inkFloor`: with calibrated glyph probabilities, a letter 20x less likely than the ink's best is ruled out. */
export const INK_FLOOR = 0.05;

/** A reading up to some x of some line: its last letter (c at x of line `line`) and the hypothesis before it, shared. */
interface Hyp {
  score: number;
  c: number;
  x: number;
  line: number;
  prev: Hyp | undefined;
  /** The LM's state: the last `contextLength` letters (context included), one character each. */
  state: string;
}

/** Letters of a hypothesis, first to last. */
function lettersOf(h: Hyp | undefined): { c: number; x: number; line: number }[] {
  const out: { c: number; x: number; line: number }[] = [];
  for (; h?.prev; h = h.prev) out.push({ c: h.c, x: h.x, line: h.line });
  return out.reverse();
}

export function decodeLine(map: InkMap, band: Band, model: GlyphModel, opts: DecodeOptions = {}): ReadLetter[] {
  return decodeLines(map, [band], model, opts)[0]!;
}

export interface LineTable {
  band: Band;
  /** The band widened by two pixels each side (letters may start a little before the inked extent). */
  ext: Band;
  /** scoreTable of the model over `ext` (and the widest template past its end). */
  table: Float64Array[];
}

/** Every band's glyph scores, as decodeLines computes them (pass them as `lines` to decode the same bands again). */
export function lineTables(map: InkMap, bands: Band[], model: GlyphModel): LineTable[] {
  const maxW = Math.max(...model.templates.map((t) => t.width));
  return bands.map((band) => {
    const ext: Band = { ...band, xs: band.xs - 2, xe: band.xe + 2 };
    return { band, ext, table: scoreTable(model, map, { ...ext, xe: ext.xe + maxW }) };
  });
}

export function decodeLines(map: InkMap, bands: Band[], model: GlyphModel, opts: DecodeOptions = {}): ReadLetter[][] {
  const beamWidth = opts.beam ?? DEFAULT_BEAM;
  const lmWeight = opts.lm ? (opts.lmWeight ?? 1) : 0;
  const maxW = Math.max(...model.templates.map((t) => t.width));
  const ctx0 = Array.from(opts.context ?? []);
  // Without an LM every hypothesis has one state: the search is the exact best path.
  const keep = opts.lm ? opts.lm.contextLength : 0;
  const next = (state: string, c: number) => (keep ? (state + String.fromCharCode(65 + c)).slice(-keep) : '');
  const state0 = keep ? ctx0.slice(-keep).reduce(next, '') : '';
  // LM log-probabilities by state, per line: a hypothesis that skips background asks again at every x.
  const lmCache = new Map<string, Float64Array>();
  const lmLogOf = (h: Hyp): Float64Array | undefined => {
    if (!opts.lm) return undefined;
    let d = lmCache.get(h.state);
    if (!d) {
      // The state is the context itself: its last `keep` letters, one character each.
      const ids = Array.from(h.state, (ch) => ch.charCodeAt(0) - 65);
      d = opts.lm.distribution(ids, new Float64Array(ALPHABET_SIZE)).map((p) => lmWeight * Math.log(p));
      lmCache.set(h.state, d);
    }
    return d;
  };
  const lines = opts.lines ?? lineTables(map, bands, model);
  const calibrated = model.confidenceAlpha;
  const penalty = model.letterPenalty ?? 0;
  // Per line and x: the ink's best letter score, for the floor on what the LM may choose (only with both).
  const floorGap = opts.lm && calibrated ? Math.log(opts.inkFloor ?? INK_FLOOR) / calibrated : -Infinity;
  const bestAt = lines.map(({ table }) => {
    const n = table[0]!.length;
    const m = new Float64Array(n).fill(-Infinity);
    if (floorGap > -Infinity) for (const row of table) for (let x = 0; x < n; x++) if (row[x]! > m[x]!) m[x] = row[x]!;
    return m;
  });
  let carried: Hyp[] = [{ score: 0, c: -1, x: -1, line: -1, prev: undefined, state: state0 }];
  lines.forEach(({ ext, table }, li) => {
    opts.signal?.throwIfAborted();
    lmCache.clear(); // states of earlier lines rarely come back; kept, they hold hundreds of MB on a segment
    const best = bestAt[li]!;
    const n = ext.xe - ext.xs;
    const at: Map<string, Hyp>[] = Array.from({ length: n + maxW + 2 }, () => new Map());
    // A hypothesis scoring below the beam's worst at its x can never be kept: `floor` holds that bound per x (the
    // beam-th best score when the slot last grew past twice the beam), so most letters are dropped before being built.
    const floor = new Float64Array(at.length).fill(-Infinity);
    const offer = (x: number, h: Hyp) => {
      const slot = at[x]!;
      const old = slot.get(h.state);
      if (old && old.score >= h.score) return;
      slot.set(h.state, h);
      if (slot.size > 2 * beamWidth) {
        const kept = [...slot.values()].sort((a, b) => b.score - a.score).slice(0, beamWidth);
        slot.clear();
        for (const k of kept) slot.set(k.state, k);
        floor[x] = kept[kept.length - 1]!.score;
      }
    };
    for (const h of carried) offer(0, h);
    const finals: Hyp[] = [];
    for (let x = 0; x < at.length; x++) {
      const hyps = [...at[x]!.values()].sort((a, b) => b.score - a.score).slice(0, beamWidth);
      at[x]!.clear();
      if (x >= n) {
        finals.push(...hyps);
        continue;
      }
      for (const h of hyps) {
        if (h.score > floor[x + 1]!) offer(x + 1, h);
        const lmLog = lmLogOf(h);
        const allowAbove = best[x]! + floorGap;
        for (let c = 0; c < ALPHABET_SIZE; c++) {
          if (table[c]![x]! < allowAbove) continue;
          const w = model.templates[c]!.width;
          // Templates carry a one-pixel margin each side: the next letter may start on the last margin pixel.
          const nx = Math.min(at.length - 1, x + w - 1);
          const score = h.score + model.alpha * table[c]![x]! + (lmLog ? lmLog[c]! : 0) - penalty;
          if (score > floor[nx]!) offer(nx, { score, c, x, line: li, prev: h, state: next(h.state, c) });
        }
      }
    }
    // The beam at the line's end (one hypothesis per LM state) starts the next line.
    const ends = new Map<string, Hyp>();
    for (const h of finals) if ((ends.get(h.state)?.score ?? -Infinity) < h.score) ends.set(h.state, h);
    carried = [...ends.values()].sort((a, b) => b.score - a.score).slice(0, beamWidth);
    opts.onLine?.(li + 1, lines.length);
  });
  const chosen = lettersOf(carried[0]);
  // Per-letter probability at the chosen place. Calibrated glyphs: what the ink alone says (softmax of
  // confidenceAlpha x LLR, fitted on held-out labelled lines), so a letter the LM preferred is not shown as seen.
  // Otherwise: glyph evidence x LM prior given the letters read before it.
  const lmDist = new Float64Array(ALPHABET_SIZE);
  const ids = [...ctx0];
  const out: ReadLetter[][] = lines.map(() => []);
  for (const { c, x, line } of chosen) {
    const { band, ext, table } = lines[line]!;
    if (opts.lm && !calibrated) opts.lm.distribution(ids.slice(-opts.lm.contextLength), lmDist);
    const v = Array.from({ length: ALPHABET_SIZE }, (_, k) =>
      calibrated
        ? calibrated * (opts.confidenceScale?.[line] ?? 1) * table[k]![x]!
        : model.alpha * table[k]![x]! + (lmWeight ? lmWeight * Math.log(lmDist[k]!) : 0),
    );
    if (opts.onLetter)
      opts.onLetter(
        line,
        out[line]!.length,
        Float64Array.from(table, (row) => row[x]!),
      );
    const m = Math.max(...v);
    const z = v.reduce((s, a) => s + Math.exp(a - m), 0);
    const probs = v.map((a) => Math.exp(a - m) / z);
    const order = probs.map((p, k) => [p, k] as const).sort((a, b) => b[0] - a[0]);
    const x0 = ext.xs + x;
    const w = model.templates[c]!.width;
    out[line]!.push({
      char: GREEK_ALPHABET[c]!,
      confidence: Math.min(1, Math.max(0, probs[c]!)),
      source: 'ink',
      bbox: [x0 + 1, band.yc - model.r + 1, x0 + w - 1, band.yc + model.r],
      alternatives: order
        .filter(([, k]) => k !== c)
        .slice(0, 3)
        .map(([p, k]) => ({ char: GREEK_ALPHABET[k]!, p: +p.toFixed(4) })),
    });
    ids.push(c);
  }
  return out;
}
