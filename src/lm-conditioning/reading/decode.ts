/**
 * Reading one line: a beam search along x over letters and background. At each x a hypothesis either skips one
 * background pixel or places a letter c (its template's width), scored α·LLR(c at x) (+ log P_LM(c | letters so far)
 * when a language model is given). Hypotheses that reach the same x with the same letters are merged.
 * Each read letter gets a probability: its glyph and LM evidence against the 23 other letters at the same place.
 *
 *   const letters = decodeLine(map, band, glyphs, { lm, beam: 20 });   // ReadLetter[] with bbox and confidence
 */
import { ALPHABET_SIZE, type CharLM } from '../char-lm.js';
import { GREEK_ALPHABET } from '../greek-text.js';
import type { ReadLetter } from '../reading.js';
import { scoreTable, type Band, type GlyphModel } from './glyphs.js';
import type { InkMap } from './ink-map.js';

export interface DecodeOptions {
  /** Language model; omit for glyph scores only (`--lm off`). */
  lm?: CharLM;
  /** Letters before this line (the previous lines of the column) as LM context. */
  context?: ArrayLike<number>;
  beam?: number;
  /** Weight of the LM log-probability (default 1). */
  lmWeight?: number;
}

interface Hyp {
  score: number;
  letters: { c: number; x: number }[];
  ids: number[];
}

export function decodeLine(map: InkMap, band: Band, model: GlyphModel, opts: DecodeOptions = {}): ReadLetter[] {
  const beamWidth = opts.beam ?? 20;
  const lmWeight = opts.lm ? (opts.lmWeight ?? 1) : 0;
  const maxW = Math.max(...model.templates.map((t) => t.width));
  // Score table over [xs - 2, xe + maxW): letters may start a little before the inked extent and run past its end.
  const ext: Band = { ...band, xs: band.xs - 2, xe: band.xe + 2 };
  const table = scoreTable(model, map, { ...ext, xe: ext.xe + maxW });
  const n = ext.xe - ext.xs;
  const at: Map<string, Hyp>[] = Array.from({ length: n + maxW + 2 }, () => new Map());
  const ctx0 = Array.from(opts.context ?? []);
  at[0]!.set('', { score: 0, letters: [], ids: ctx0 });
  const push = (x: number, h: Hyp) => {
    const key = h.letters.map((l) => l.c).join(',');
    const old = at[x]!.get(key);
    if (!old || old.score < h.score) at[x]!.set(key, h);
  };
  const lmDist = new Float64Array(ALPHABET_SIZE);
  const finals: Hyp[] = [];
  for (let x = 0; x < at.length; x++) {
    const hyps = [...at[x]!.values()].sort((a, b) => b.score - a.score).slice(0, beamWidth);
    at[x]!.clear();
    if (x >= n) {
      finals.push(...hyps);
      continue;
    }
    for (const h of hyps) {
      push(x + 1, h);
      if (opts.lm) opts.lm.distribution(h.ids.slice(-opts.lm.contextLength), lmDist);
      for (let c = 0; c < ALPHABET_SIZE; c++) {
        const w = model.templates[c]!.width;
        // Templates carry a one-pixel margin each side: the next letter may start on the last margin pixel.
        const nx = Math.min(at.length - 1, x + w - 1);
        const s = model.alpha * table[c]![x]! + (lmWeight ? lmWeight * Math.log(lmDist[c]!) : 0);
        push(nx, { score: h.score + s, letters: [...h.letters, { c, x }], ids: [...h.ids, c] });
      }
    }
  }
  finals.sort((a, b) => b.score - a.score);
  const best = finals[0];
  if (!best) return [];
  // Per-letter probability at the chosen place: glyph evidence x LM prior given the letters read before it.
  const out: ReadLetter[] = [];
  const ids = [...ctx0];
  for (const { c, x } of best.letters) {
    if (opts.lm) opts.lm.distribution(ids.slice(-opts.lm.contextLength), lmDist);
    const v = Array.from({ length: ALPHABET_SIZE }, (_, k) => model.alpha * table[k]![x]! + (lmWeight ? lmWeight * Math.log(lmDist[k]!) : 0));
    const m = Math.max(...v);
    const z = v.reduce((s, a) => s + Math.exp(a - m), 0);
    const probs = v.map((a) => Math.exp(a - m) / z);
    const order = probs.map((p, k) => [p, k] as const).sort((a, b) => b[0] - a[0]);
    const x0 = ext.xs + x;
    const w = model.templates[c]!.width;
    out.push({
      char: GREEK_ALPHABET[c]!,
      confidence: Math.min(1, Math.max(0, probs[c]!)),
      source: 'ink',
      bbox: [x0 + 1, band.yc - model.r + 1, x0 + w - 1, band.yc + model.r],
      alternatives: order.filter(([, k]) => k !== c).slice(0, 3).map(([p, k]) => ({ char: GREEK_ALPHABET[k]!, p: +p.toFixed(4) })),
    });
    ids.push(c);
  }
  return out;
}
