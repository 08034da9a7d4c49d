/**
 * The sample's own scribe: 24 Greek uppercase letters as stroke polylines (no font needed), a scribe's jitter
 * (per-letter scale, slant, stroke width, offsets, wobbly vertices, ink load), and an anti-aliased rasteriser that
 * computes each pixel's distance to the nearest stroke.
 *
 *   const g = jitterGlyph('Α', { x: 10, y: 4, height: 10, strokeWidth: 1.6 }, rng);
 *   stampGlyph(g, coverage, width, height, 2);            // anti-aliased coverage, 2 pixels per unit
 *   const box = glyphBox(g);                               // [x0, y0, x1, y1], covers every inked pixel
 */
import type { HandParams } from './params.js';
import type { Rng } from './rng.js';

type Pt = [number, number];
/** Strokes of one letter in a box of height 1 (y down, 0 = top) and width `w`. */
interface Letterform {
  w: number;
  strokes: Pt[][];
}

function ellipse(cx: number, cy: number, rx: number, ry: number, n = 14): Pt[] {
  const pts: Pt[] = [];
  for (let i = 0; i <= n; i++) {
    const a = (2 * Math.PI * i) / n;
    pts.push([cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
  }
  return pts;
}

/** The alphabet, in the order of GREEK_ALPHABET. Proportions follow a Herculanean bookhand: round letters wide, Ι narrow. */
export const LETTERFORMS: Record<string, Letterform> = {
  Α: {
    w: 0.78,
    strokes: [
      [
        [0, 1],
        [0.39, 0],
        [0.78, 1],
      ],
      [
        [0.17, 0.62],
        [0.61, 0.62],
      ],
    ],
  },
  Β: {
    w: 0.62,
    strokes: [
      [
        [0, 0],
        [0, 1],
      ],
      [
        [0, 0],
        [0.42, 0],
        [0.55, 0.1],
        [0.55, 0.37],
        [0.42, 0.47],
        [0, 0.47],
      ],
      [
        [0, 0.47],
        [0.47, 0.47],
        [0.62, 0.59],
        [0.62, 0.88],
        [0.47, 1],
        [0, 1],
      ],
    ],
  },
  Γ: {
    w: 0.56,
    strokes: [
      [
        [0, 1],
        [0, 0],
        [0.56, 0],
      ],
    ],
  },
  Δ: {
    w: 0.8,
    strokes: [
      [
        [0, 1],
        [0.4, 0],
        [0.8, 1],
        [0, 1],
      ],
    ],
  },
  Ε: {
    w: 0.56,
    strokes: [
      [
        [0.56, 0],
        [0, 0],
        [0, 1],
        [0.56, 1],
      ],
      [
        [0, 0.5],
        [0.42, 0.5],
      ],
    ],
  },
  Ζ: {
    w: 0.62,
    strokes: [
      [
        [0, 0],
        [0.62, 0],
        [0, 1],
        [0.62, 1],
      ],
    ],
  },
  Η: {
    w: 0.66,
    strokes: [
      [
        [0, 0],
        [0, 1],
      ],
      [
        [0.66, 0],
        [0.66, 1],
      ],
      [
        [0, 0.5],
        [0.66, 0.5],
      ],
    ],
  },
  Θ: {
    w: 0.76,
    strokes: [
      ellipse(0.38, 0.5, 0.38, 0.5),
      [
        [0.2, 0.5],
        [0.56, 0.5],
      ],
    ],
  },
  Ι: {
    w: 0.08,
    strokes: [
      [
        [0.04, 0],
        [0.04, 1],
      ],
    ],
  },
  Κ: {
    w: 0.62,
    strokes: [
      [
        [0, 0],
        [0, 1],
      ],
      [
        [0.62, 0],
        [0, 0.56],
      ],
      [
        [0.2, 0.41],
        [0.62, 1],
      ],
    ],
  },
  Λ: {
    w: 0.74,
    strokes: [
      [
        [0, 1],
        [0.37, 0],
        [0.74, 1],
      ],
    ],
  },
  Μ: {
    w: 0.9,
    strokes: [
      [
        [0, 1],
        [0.06, 0],
        [0.45, 0.72],
        [0.84, 0],
        [0.9, 1],
      ],
    ],
  },
  Ν: {
    w: 0.7,
    strokes: [
      [
        [0, 1],
        [0, 0],
        [0.7, 1],
        [0.7, 0],
      ],
    ],
  },
  Ξ: {
    w: 0.62,
    strokes: [
      [
        [0, 0],
        [0.62, 0],
      ],
      [
        [0.1, 0.5],
        [0.52, 0.5],
      ],
      [
        [0, 1],
        [0.62, 1],
      ],
    ],
  },
  Ο: { w: 0.74, strokes: [ellipse(0.37, 0.5, 0.37, 0.5)] },
  Π: {
    w: 0.72,
    strokes: [
      [
        [0, 1],
        [0, 0],
        [0.72, 0],
        [0.72, 1],
      ],
    ],
  },
  Ρ: {
    w: 0.6,
    strokes: [
      [
        [0, 1],
        [0, 0],
        [0.45, 0],
        [0.6, 0.12],
        [0.6, 0.4],
        [0.45, 0.52],
        [0, 0.52],
      ],
    ],
  },
  Σ: {
    w: 0.62,
    strokes: [
      [
        [0.62, 0.02],
        [0.55, 0],
        [0, 0],
        [0.34, 0.5],
        [0, 1],
        [0.55, 1],
        [0.62, 0.98],
      ],
    ],
  },
  Τ: {
    w: 0.68,
    strokes: [
      [
        [0, 0],
        [0.68, 0],
      ],
      [
        [0.34, 0],
        [0.34, 1],
      ],
    ],
  },
  Υ: {
    w: 0.72,
    strokes: [
      [
        [0, 0],
        [0.36, 0.5],
        [0.72, 0],
      ],
      [
        [0.36, 0.5],
        [0.36, 1],
      ],
    ],
  },
  Φ: {
    w: 0.84,
    strokes: [
      ellipse(0.42, 0.5, 0.42, 0.28),
      [
        [0.42, 0],
        [0.42, 1],
      ],
    ],
  },
  Χ: {
    w: 0.72,
    strokes: [
      [
        [0, 0],
        [0.72, 1],
      ],
      [
        [0.72, 0],
        [0, 1],
      ],
    ],
  },
  Ψ: {
    w: 0.78,
    strokes: [
      [
        [0, 0.05],
        [0.02, 0.38],
        [0.2, 0.56],
        [0.58, 0.56],
        [0.76, 0.38],
        [0.78, 0.05],
      ],
      [
        [0.39, 0],
        [0.39, 1],
      ],
    ],
  },
  Ω: {
    w: 0.84,
    strokes: [
      [
        [0, 1],
        [0.27, 1],
        [0.12, 0.8],
        [0.04, 0.5],
        [0.14, 0.14],
        [0.42, 0],
        [0.7, 0.14],
        [0.8, 0.5],
        [0.72, 0.8],
        [0.57, 1],
        [0.84, 1],
      ],
    ],
  },
};

/** One written letter: strokes in output pixel coordinates (x right, y down). */
export interface Glyph {
  char: string;
  strokes: Pt[][];
  /** Stroke width in pixels. */
  strokeWidth: number;
  /** Ink load 0..1 (how much carbon the pen left). */
  ink: number;
  /** Advance to the next letter's origin, in pixels. */
  advance: number;
}

export interface GlyphPlacement {
  x: number;
  /** Top of the letter (cap line). */
  y: number;
  height: number;
  strokeWidth: number;
  /** The scribe's hand (default: the original sample hand). */
  hand?: Pick<HandParams, 'slant' | 'widthScale' | 'jitter' | 'inkLoad' | 'inkSpread'>;
}

const DEFAULT_HAND = { slant: 0.06, widthScale: 1, jitter: 1, inkLoad: 0.85, inkSpread: 0.12 };

/** Width of a letter of this height before jitter (for line fitting). */
export function nominalWidth(char: string, height: number, widthScale = 1): number {
  const f = LETTERFORMS[char];
  if (!f) throw new Error(`no letterform for '${char}'`);
  return f.w * height * widthScale;
}

/** A letter as one scribe writes it once: scale, slant, stroke width, offsets and vertices jittered. */
export function jitterGlyph(char: string, at: GlyphPlacement, rng: Rng): Glyph {
  const form = LETTERFORMS[char];
  if (!form) throw new Error(`no letterform for '${char}'`);
  const hand = at.hand ?? DEFAULT_HAND;
  const j = hand.jitter;
  const h = at.height * (1 + 0.06 * j * rng.gauss());
  const wScale = hand.widthScale * (1 + 0.06 * j * rng.gauss());
  const slant = hand.slant + 0.05 * j * rng.gauss(); // x shifts by slant*h from baseline to cap line
  const dx = 0.3 * j * rng.gauss();
  const dy = 0.35 * j * rng.gauss() + (at.height - h); // sit on the baseline
  const wobble = 0.035 * j * h;
  const strokes = form.strokes.map((stroke) =>
    stroke.map(([fx, fy]): Pt => {
      const x = at.x + dx + fx * h * wScale + slant * (1 - fy) * h + wobble * rng.gauss();
      const y = at.y + dy + fy * h + wobble * rng.gauss();
      return [x, y];
    }),
  );
  // Closed shapes (Ο, Θ, Φ) must stay closed after the wobble.
  for (const s of strokes) {
    const a = s[0]!;
    const b = s[s.length - 1]!;
    if (Math.hypot(a[0] - b[0], a[1] - b[1]) < 0.12 * h) s[s.length - 1] = [a[0], a[1]];
  }
  return {
    char,
    strokes,
    strokeWidth: Math.max(0.8, at.strokeWidth * (1 + 0.12 * rng.gauss())),
    ink: Math.min(1, Math.max(0.45, hand.inkLoad + hand.inkSpread * rng.gauss())),
    advance: form.w * h * wScale,
  };
}

/** Bounding box [x0, y0, x1, y1] (inclusive integer pixels) of everything the glyph can ink. */
export function glyphBox(g: Glyph): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const s of g.strokes)
    for (const [x, y] of s) {
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
  const r = g.strokeWidth / 2;
  return [Math.floor(x0 - r), Math.floor(y0 - r), Math.ceil(x1 + r), Math.ceil(y1 + r)];
}

/** Distance from (px, py) to the nearest stroke of the glyph. */
export function strokeDistance(g: Glyph, px: number, py: number): number {
  let best = Infinity;
  for (const s of g.strokes)
    for (let i = 0; i + 1 < s.length; i++) {
      const [ax, ay] = s[i]!;
      const [bx, by] = s[i + 1]!;
      const ex = bx - ax;
      const ey = by - ay;
      const len2 = ex * ex + ey * ey;
      let t = len2 > 0 ? ((px - ax) * ex + (py - ay) * ey) / len2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const d = Math.hypot(px - ax - t * ex, py - ay - t * ey);
      if (d < best) best = d;
    }
  return best;
}

/**
 * Adds the glyph's anti-aliased ink (coverage x ink load, max-combined) into `coverage`, an image of
 * `width x height` pixels at `scale` pixels per glyph unit. Pixel (i, j) has its centre at ((i + 0.5)/scale, (j + 0.5)/scale).
 */
export function stampGlyph(g: Glyph, coverage: Float32Array, width: number, height: number, scale: number): void {
  const [bx0, by0, bx1, by1] = glyphBox(g);
  const i0 = Math.max(0, Math.floor(bx0 * scale));
  const i1 = Math.min(width - 1, Math.ceil((bx1 + 1) * scale));
  const j0 = Math.max(0, Math.floor(by0 * scale));
  const j1 = Math.min(height - 1, Math.ceil((by1 + 1) * scale));
  const half = g.strokeWidth / 2;
  for (let j = j0; j <= j1; j++)
    for (let i = i0; i <= i1; i++) {
      const d = strokeDistance(g, (i + 0.5) / scale, (j + 0.5) / scale);
      // Box-filtered edge: coverage ramps over one output pixel around the stroke edge.
      const c = Math.min(1, Math.max(0, 0.5 + (half - d) * scale)) * g.ink;
      const k = j * width + i;
      if (c > coverage[k]!) coverage[k] = c;
    }
}

/** Sets label pixels (255) whose centre lies inside a stroke: the truth ink labels, at 1 pixel per unit. */
export function labelGlyph(g: Glyph, labels: Uint8Array, width: number, height: number): void {
  const [bx0, by0, bx1, by1] = glyphBox(g);
  const half = g.strokeWidth / 2;
  for (let j = Math.max(0, by0); j <= Math.min(height - 1, by1); j++)
    for (let i = Math.max(0, bx0); i <= Math.min(width - 1, bx1); i++)
      if (strokeDistance(g, i + 0.5, j + 0.5) < half) labels[j * width + i] = 255;
}
