/**
 * Letters where a line shows no ink: a stretch of the line's band (between two read letters, or between the line's
 * ends and its first or last letter) at least 1.4 letter advances wide whose ink stays at the background level is a
 * hole in the papyrus. It holds round(width / advance) letters: lost (source 'lost', char '') without a language
 * model, or supplied by it (source 'lm': the most probable restoration given the letters on both sides, `restore`)
 * when the hole is at most MAX_SUPPLIED letters long (as the restoration literature restores 1-10 letters; longer
 * holes stay lost). A line with fewer than two letters read has no ink level to judge blankness by: left as it is.
 *
 *   const letters = fillLostLetters(map, band, decodeLine(map, band, glyphs, { lm }), glyphs, { lm, context });
 */
import type { CharLM } from '../char-lm.js';
import { toLetterIds } from '../char-lm.js';
import type { ReadLetter } from './reading-file.js';
import { restore } from '../restore.js';
import type { Band, GlyphModel } from './glyphs.js';
import type { InkMap } from './ink-map.js';

export interface FillOptions {
  lm?: CharLM;
  /** Letters before this line in its column (LM context on the left). */
  context?: ArrayLike<number>;
  /** Candidates the restoration of a lost stretch keeps (default 10). */
  beam?: number;
  /** Mean ink over a stretch, as a fraction of the way from the background to the letters' ink, below which the stretch is blank (default 0.15). */
  blankLevel?: number;
}

/** Mean ink of the band's rows over columns [x0, x1). */
function meanInk(map: InkMap, band: Band, x0: number, x1: number): number {
  let s = 0;
  let n = 0;
  for (let y = Math.max(0, band.yc - band.r); y <= Math.min(map.height - 1, band.yc + band.r); y++)
    for (let x = Math.max(0, x0); x < Math.min(map.width, x1); x++) ((s += map.data[y * map.width + x]!), n++);
  return n ? s / n : 0;
}

/** A letter's advance: the median of the read letters' advances on the line, else the glyphs' mean width. */
function advanceOf(letters: ReadLetter[], model: GlyphModel): number {
  const adv: number[] = [];
  for (let k = 1; k < letters.length; k++) adv.push(letters[k]!.bbox![0] - letters[k - 1]!.bbox![0]);
  if (adv.length >= 3) return adv.sort((a, b) => a - b)[Math.floor(adv.length / 2)]!;
  return model.templates.reduce((s, t) => s + t.width - 1, 0) / model.templates.length;
}

/** Longest hole the LM fills; longer ones are marked lost. */
export const MAX_SUPPLIED = 10;

export function fillLostLetters(
  map: InkMap,
  band: Band,
  letters: ReadLetter[],
  model: GlyphModel,
  opts: FillOptions = {},
): ReadLetter[] {
  if (letters.length < 2 || letters.some((l) => !l.bbox)) return letters;
  const advance = Math.max(2, advanceOf(letters, model));
  // Background and letter ink levels of this line: the ink between and under the read letters.
  const bg = model.gauss?.lo ?? model.background;
  const inkLevel = letters.length
    ? letters.reduce((s, l) => s + meanInk(map, band, l.bbox![0], l.bbox![2]), 0) / letters.length
    : bg;
  const blank = bg + (opts.blankLevel ?? 0.15) * Math.max(0, inkLevel - bg);
  // Stretches: before the first letter, between letters, after the last (within the line's inked extent).
  const edges: { after: number; x0: number; x1: number }[] = [];
  let prevEnd = band.xs;
  letters.forEach((l, k) => {
    edges.push({ after: k - 1, x0: prevEnd, x1: l.bbox![0] - 1 });
    prevEnd = l.bbox![2] + 1;
  });
  edges.push({ after: letters.length - 1, x0: prevEnd, x1: band.xe });
  const holes = edges
    .filter((e) => e.x1 - e.x0 >= 1.4 * advance && meanInk(map, band, e.x0, e.x1) <= blank)
    .map((e) => ({ ...e, count: Math.max(1, Math.round((e.x1 - e.x0) / advance)) }));
  if (!holes.length) return letters;
  // Restore every hole of the line at once, with the column's earlier letters as left context.
  let supplied: string | undefined;
  let p = 0;
  if (opts.lm) {
    const ids: number[] = Array.from(opts.context ?? []);
    let hi = 0;
    for (let k = -1; k < letters.length; k++) {
      if (k >= 0) ids.push(toLetterIds(letters[k]!.char)[0] ?? 0);
      const h = holes[hi];
      if (h && h.after === k) {
        // Long holes stay lost: a placeholder letter keeps the text around them in place for the LM.
        for (let i = 0; i < h.count; i++) ids.push(h.count <= MAX_SUPPLIED ? -1 : 0);
        hi++;
      }
    }
    if (ids.includes(-1)) {
      const best = restore(opts.lm, Int16Array.from(ids), { beam: opts.beam ?? 10 })[0];
      if (best) ((supplied = best.text), (p = best.p));
    }
  }
  const out: ReadLetter[] = [];
  let si = 0;
  const put = (h: (typeof holes)[number]) => {
    const w = (h.x1 - h.x0) / h.count;
    for (let i = 0; i < h.count; i++) {
      const x0 = Math.round(h.x0 + i * w);
      const bbox: [number, number, number, number] = [
        x0,
        band.yc - band.r + 1,
        Math.round(h.x0 + (i + 1) * w),
        band.yc + band.r,
      ];
      const ch = h.count <= MAX_SUPPLIED ? supplied?.[si++] : undefined;
      out.push(
        ch
          ? { char: ch, confidence: Math.min(1, Math.max(0, p)), source: 'lm', bbox }
          : { char: '', confidence: 0, source: 'lost', bbox },
      );
    }
  };
  for (const h of holes.filter((x) => x.after === -1)) put(h);
  letters.forEach((l, k) => {
    out.push(l);
    for (const h of holes.filter((x) => x.after === k)) put(h);
  });
  return out;
}
