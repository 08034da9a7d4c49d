/**
 * An editor's correction of one letter of a reading: the letter becomes certain (probability 1, seen in the ink),
 * keeps what the reader had said, and the corrected line is kept as a transcription of that line with its box
 * (`transcriptions/<group>.lines.json`), known text for the next glyph learning.
 *
 *   const { reading, line } = applyCorrection(reading, { column: 1, line: 2, index: 4, char: 'Λ' });
 *   await saveCorrection(corpus, reading, line, await readFile(linesFile, 'utf8').catch(() => undefined));
 *   readSegment({ ..., correctedLines: await loadCorrectedLines(corpus, 'scroll2/seg1') });   // `aunn read --corrected-lines`
 */
import { UserError } from '../../core/errors.js';
import { GREEK_ALPHABET } from '../greek-text.js';
import { lineText, readingFileName, saveReading, type Reading } from './reading-file.js';

export interface LetterCorrection {
  /** Column and line numbers as in the reading (`n`), letter index from 0. */
  column: number;
  line: number;
  index: number;
  char: string;
}

export interface LineTranscription {
  column: number;
  line: number;
  text: string;
  bbox?: [number, number, number, number];
}

export interface LineTranscriptions {
  segment: string;
  lines: LineTranscription[];
}

export function linesFileName(segment: string): string {
  return `transcriptions/${readingFileName(segment).replace(/\.json$/, '.lines.json')}`;
}

/** A new reading with the correction applied (the input is left as it was), and the corrected line's text. */
export function applyCorrection(reading: Reading, c: LetterCorrection): { reading: Reading; line: LineTranscription } {
  const char = String(c.char ?? '').toUpperCase();
  if ([...char].length !== 1 || !GREEK_ALPHABET.includes(char))
    throw new UserError(`a correction is one letter of ${GREEK_ALPHABET}, not '${c.char}'`);
  const next = structuredClone(reading);
  const col = next.columns.find((x) => x.n === c.column);
  const ln = col?.lines.find((x) => x.n === c.line);
  const letter = Number.isInteger(c.index) ? ln?.letters[c.index] : undefined;
  if (!letter) throw new UserError(`${reading.segment}: no letter ${c.index + 1} in column ${c.column} line ${c.line}`);
  letter.corrected ??= { from: letter.char, confidence: letter.confidence, source: letter.source };
  letter.char = char;
  letter.confidence = 1;
  letter.source = 'ink';
  return { reading: next, line: { column: c.column, line: c.line, text: lineText(ln!), bbox: ln!.bbox } };
}

/** Saves the corrected reading and adds (or replaces) the line in the segment's line transcriptions. */
export async function saveCorrection(
  corpus: { writeSideFile(rel: string, data: string): Promise<string> },
  reading: Reading,
  line: LineTranscription,
  existing?: string,
): Promise<void> {
  let doc: LineTranscriptions = { segment: reading.segment, lines: [] };
  try {
    const parsed = existing ? (JSON.parse(existing) as LineTranscriptions) : undefined;
    if (parsed && Array.isArray(parsed.lines)) doc = { segment: reading.segment, lines: parsed.lines };
  } catch {
    /* a damaged file is replaced by the corrections made from now on */
  }
  doc.lines = doc.lines.filter((l) => !(l.column === line.column && l.line === line.line));
  doc.lines.push(line);
  doc.lines.sort((a, b) => a.column - b.column || a.line - b.line);
  await saveReading(corpus, reading);
  await corpus.writeSideFile(linesFileName(reading.segment), JSON.stringify(doc, null, 1));
}

/** The segment's corrected lines (`transcriptions/<group>.lines.json`), none when there is no such file. */
export async function loadCorrectedLines(
  corpus: { readSideFile(rel: string): Promise<string | undefined> },
  segment: string,
): Promise<LineTranscription[]> {
  const rel = linesFileName(segment);
  const raw = await corpus.readSideFile(rel);
  if (raw === undefined) return [];
  let doc: LineTranscriptions;
  try {
    doc = JSON.parse(raw) as LineTranscriptions;
  } catch (err) {
    throw new UserError(`${rel}: not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(doc.lines)) throw new UserError(`${rel}: expected { lines: [{ column, line, text, bbox }] }`);
  return doc.lines.filter((l) => typeof l.text === 'string');
}
