/**
 * A reading: the letters read off one segment, column by column and line by line, each with its probability and
 * where it came from ('ink' = seen, 'lm' = supplied by the language model where the ink gave no evidence,
 * 'lost' = known to be there but not restored). Stored as JSON in the corpus at `readings/<group>.json`
 * (group slashes as `__`), which the app's segment view also reads (letters carry `char`, `bbox`, `confidence`).
 *
 *   const r: Reading = { format: READING_FORMAT, version: 1, segment: 'scroll1/seg1', columns: [...] };
 *   await saveReading(corpus, r);  const again = await loadReading(corpusDir, 'scroll1/seg1');
 */
import { readFile } from 'node:fs/promises';
import type { Corpus } from '../../corpus/index.js';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { GREEK_ALPHABET } from '../greek-text.js';

export const READING_FORMAT = 'scroll-aunn-reading';

export type Evidence = 'ink' | 'lm' | 'lost';

/** Letters seen in the ink with a probability below this are printed uncertain (Leiden underdot, EpiDoc unclear). */
export const UNDERDOT_THRESHOLD = 0.8;

export interface ReadLetter {
  /** One letter of GREEK_ALPHABET; '' for a lost letter that was not restored. */
  char: string;
  /** Probability of `char` (0 for lost letters). */
  confidence: number;
  source: Evidence;
  /** [x0, y0, x1, y1) in segment pixels, when placed. */
  bbox?: [number, number, number, number];
  /** Runner-up letters with their probabilities, best first (optional). */
  alternatives?: { char: string; p: number }[];
  /** Set by an editor's correction: what the reader had read, with its probability. */
  corrected?: { from: string; confidence: number; source: Evidence };
}

export interface ReadLine {
  n: number;
  bbox?: [number, number, number, number];
  letters: ReadLetter[];
}

export interface ReadColumn {
  n: number;
  bbox?: [number, number, number, number];
  lines: ReadLine[];
}

export interface Reading {
  format: typeof READING_FORMAT;
  version: 1;
  /** The segment's group, e.g. 'scroll1/seg1'. */
  segment: string;
  /** The record the ink came from (a prediction or ink labels), and how the text was decoded. */
  source?: { ink?: string; model?: string; lm?: 'off' | 'decode' | 'condition'; lmName?: string };
  /** Pixel size of the segment surface in µm (for scale bars), when known. */
  pixelSizeUm?: number;
  columns: ReadColumn[];
  createdAt?: string;
}

export function readingFileName(segment: string): string {
  return `${segment.split('/').join('__')}.json`;
}

export function readingPath(corpusDir: string, segment: string): string {
  return path.join(corpusDir, 'readings', readingFileName(segment));
}

/** Checks the shape of a parsed reading; throws a UserError naming `file` and the first problem. */
export function validateReading(doc: unknown, file: string): Reading {
  const bad = (why: string): never => {
    throw new UserError(`${file}: not a valid reading: ${why}`);
  };
  if (!doc || typeof doc !== 'object') bad('not a JSON object');
  const r = doc as Reading;
  if (r.format !== READING_FORMAT) bad(`format is not '${READING_FORMAT}'`);
  if (typeof r.segment !== 'string') bad('no segment');
  if (!Array.isArray(r.columns)) bad('no columns array');
  r.columns.forEach((c, ci) => {
    if (!Array.isArray(c?.lines)) bad(`column ${ci + 1} has no lines array`);
    c.lines.forEach((l, li) => {
      if (!Array.isArray(l?.letters)) bad(`column ${ci + 1} line ${li + 1} has no letters array`);
      l.letters.forEach((ch, k) => {
        const where = `column ${ci + 1} line ${li + 1} letter ${k + 1}`;
        if (!['ink', 'lm', 'lost'].includes(ch?.source)) bad(`${where}: source must be ink, lm or lost`);
        if (
          ch.source === 'lost'
            ? ch.char !== '' && !GREEK_ALPHABET.includes(ch.char)
            : ch.char.length !== 1 || !GREEK_ALPHABET.includes(ch.char)
        ) {
          bad(`${where}: '${ch.char}' is not one of ${GREEK_ALPHABET}`);
        }
        if (typeof ch.confidence !== 'number' || !(ch.confidence >= 0 && ch.confidence <= 1))
          bad(`${where}: confidence must be in [0, 1]`);
      });
    });
  });
  return r;
}

export async function loadReadingFile(file: string): Promise<Reading> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not JSON: ${(err as Error).message}`, { cause: err });
  }
  return validateReading(doc, file);
}

export function loadReading(corpusDir: string, segment: string): Promise<Reading> {
  return loadReadingFile(readingPath(corpusDir, segment));
}

/** Writes atomically under the corpus lock (a corpus side file); returns the path. */
export async function saveReading(corpus: Pick<Corpus, 'writeSideFile'>, reading: Reading): Promise<string> {
  return corpus.writeSideFile(`readings/${readingFileName(reading.segment)}`, JSON.stringify(reading, null, 1));
}

/** The read text of a line (lost letters as '?'). */
export function lineText(line: ReadLine): string {
  return line.letters.map((l) => l.char || '?').join('');
}
