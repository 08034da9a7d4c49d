/**
 * The scribe's page plan: Greek text (scriptio continua) in columns of lines along the whole sheet, starting near its
 * outer end, in sheet coordinates (X = u along the sheet from its outer end, Y = rows from the top of the scroll,
 * Y = nz - 0.5 - z). The segment holds the first `segmentColumns` columns; `Y` is also the segment's row coordinate
 * and `X - segmentStart` its column coordinate.
 *
 *   const plan = planText(params, text, sheetLength, nz);
 *   const ink = renderInk(plan, sheetLength, nz, 2);         // coverage map for the physics
 */
import { glyphBox, jitterGlyph, nominalWidth, stampGlyph, type Glyph } from './glyphs.js';
import type { ScrollParams } from './params.js';
import type { InkMap } from './physics.js';
import { Rng, seedFrom } from './rng.js';

export interface PlacedLetter {
  glyph: Glyph;
  column: number;
  line: number;
  index: number;
}

export interface ColumnPlan {
  /** Left edge of the column (sheet X). */
  x0: number;
  lines: string[];
  box: [number, number, number, number];
}

export interface TextPlan {
  letters: PlacedLetter[];
  columns: ColumnPlan[];
  /** Segment: columns [0, segmentColumns) between X = segmentStart and segmentStart + segmentWidth. */
  segmentStart: number;
  segmentWidth: number;
  /** Letters of the source text used, from `textStart`. */
  textUsed: string;
}

export function planText(p: ScrollParams, text: string, sheetLength: number, nz: number): TextPlan {
  const t = p.text;
  const rng = new Rng(seedFrom(p.seed, 'scribe'));
  const h = t.letterHeight;
  const pitch = h * t.lineSpacing;
  const nLines = Math.floor((nz - 2 * t.topMargin - h) / pitch) + 1;
  const columnStride = t.columnWidth + t.columnGap;
  const first = p.segmentStart + t.columnGap / 2;
  const letters: PlacedLetter[] = [];
  const columns: ColumnPlan[] = [];
  let cursor = t.textStart;
  for (let col = 0; first + col * columnStride + t.columnWidth < sheetLength - 4; col++) {
    const x0 = first + col * columnStride;
    const lines: string[] = [];
    let bx0 = Infinity;
    let by0 = Infinity;
    let bx1 = -Infinity;
    let by1 = -Infinity;
    for (let line = 0; line < nLines; line++) {
      const y = t.topMargin + line * pitch + 0.4 * rng.gauss();
      let x = x0 + Math.abs(0.8 * rng.gauss());
      let written = '';
      for (;;) {
        const ch = text[cursor];
        if (ch === undefined) throw new Error(`planText: the text ran out at letter ${cursor}`);
        if (x + nominalWidth(ch, h, t.hand.widthScale) > x0 + t.columnWidth) break;
        const glyph = jitterGlyph(ch, { x, y, height: h, strokeWidth: t.strokeWidth, hand: t.hand }, rng);
        letters.push({ glyph, column: col, line, index: written.length });
        const [a, b, c, d] = glyphBox(glyph);
        bx0 = Math.min(bx0, a);
        by0 = Math.min(by0, b);
        bx1 = Math.max(bx1, c);
        by1 = Math.max(by1, d);
        written += ch;
        cursor++;
        x += glyph.advance + t.letterGap * (1 + 0.15 * rng.gauss());
      }
      lines.push(written);
    }
    columns.push({ x0, lines, box: [bx0, by0, bx1, by1] });
  }
  if (columns.length < t.segmentColumns)
    throw new Error(`planText: the sheet (${sheetLength.toFixed(0)} voxels) holds only ${columns.length} columns`);
  return {
    letters,
    columns,
    segmentStart: p.segmentStart,
    segmentWidth: t.segmentColumns * columnStride,
    textUsed: text.slice(t.textStart, cursor),
  };
}

/** Anti-aliased ink coverage of every letter on the sheet, `scale` pixels per voxel. */
export function renderInk(plan: TextPlan, sheetLength: number, nz: number, scale: number): InkMap {
  const width = Math.ceil((sheetLength + 8) * scale);
  const height = nz * scale;
  const coverage = new Float32Array(width * height);
  for (const l of plan.letters) stampGlyph(l.glyph, coverage, width, height, scale);
  return { coverage, width, height, scale };
}

/** A glyph moved by (-dx, 0): sheet → segment pixel coordinates. */
export function shiftGlyph(g: Glyph, dx: number): Glyph {
  return { ...g, strokes: g.strokes.map((s) => s.map(([x, y]) => [x - dx, y] as [number, number])) };
}
