/**
 * Letters read off a segment, from the text reader's readings JSON, in whatever nesting it uses: any object with a
 * one-letter `char`/`letter`/`text` and a position (`x`,`y` or `bbox`/`box: [x0, y0, x1, y1]`, in segment pixels) counts.
 *
 *   const letters = lettersIn(json);   // [{ char: 'Α', x: 10, y: 20, w: 8, h: 12, confidence: 0.9 }]
 */
export interface PlacedLetter {
  char: string;
  x: number;
  y: number;
  w: number;
  h: number;
  confidence?: number;
  restored?: boolean;
}

export function lettersIn(json: unknown, limit = 20000): PlacedLetter[] {
  const out: PlacedLetter[] = [];
  const visit = (v: unknown, depth: number) => {
    if (out.length >= limit || depth > 8 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
      return;
    }
    const o = v as Record<string, unknown>;
    const ch = [o.char, o.letter, o.text].find((c) => typeof c === 'string' && [...c].length === 1) as
      string | undefined;
    const boxLike = Array.isArray(o.bbox) ? o.bbox : o.box;
    const bbox =
      Array.isArray(boxLike) && boxLike.length === 4 && boxLike.every((n) => typeof n === 'number')
        ? (boxLike as number[])
        : undefined;
    if (ch && (bbox || (typeof o.x === 'number' && typeof o.y === 'number'))) {
      const [x, y, w, hh] = bbox
        ? [bbox[0]!, bbox[1]!, bbox[2]! - bbox[0]!, bbox[3]! - bbox[1]!]
        : [o.x as number, o.y as number, Number(o.w ?? o.width ?? 0), Number(o.h ?? o.height ?? 0)];
      out.push({
        char: ch,
        x,
        y,
        w,
        h: hh,
        confidence: typeof o.confidence === 'number' ? o.confidence : undefined,
        restored: o.restored === true || o.source === 'lm',
      });
      return;
    }
    for (const x of Object.values(o)) visit(x, depth + 1);
  };
  visit(json, 0);
  return out;
}

/**
 * Does this readings JSON talk about the segment (by group, record name or bare segment id)? A name with a scroll
 * in it must be this segment's: two scrolls may each have a segment '20230101', and one's reading must never be
 * drawn over the other.
 */
export function readingsMatch(json: unknown, group: string, layersName: string): boolean {
  if (!json || typeof json !== 'object') return false;
  const o = json as Record<string, unknown>;
  const names = [o.segment, o.group, o.record, o.of].filter((x): x is string => typeof x === 'string');
  const seg = group.split('/').pop() ?? group;
  return names.some(
    (n) => n === group || n === layersName || n.startsWith(`${group}/`) || (!n.includes('/') && n === seg),
  );
}

/** The readings file of a segment: the first of `files` (corpus-relative) whose JSON names it, or undefined. */
export async function readingFor(
  files: string[],
  load: (file: string) => Promise<unknown>,
  group: string,
  layersName: string,
): Promise<{ file: string; json: unknown } | undefined> {
  // The reader's own file for this group first (readings/<scroll>__<segment>.json), then any other.
  const own = `readings/${group.split('/').join('__')}.json`;
  const ordered = [...files.filter((f) => f === own), ...files.filter((f) => f !== own)];
  for (const file of ordered) {
    const json = await load(file).catch(() => undefined);
    if (readingsMatch(json, group, layersName)) return { file, json };
  }
  return undefined;
}
