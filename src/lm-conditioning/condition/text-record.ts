/**
 * The seed's "text as a record": the decoded text of each read column becomes a record of the index space
 * (modality 'text', shape [1, lines, longest line]: row y = line y + 1 of the column, one ISO-8859-7 byte per letter,
 * shorter lines padded with spaces, a lost letter '?'; group = the segment's group, trainable), so the AUNN can be
 * trained on the text right beside the ink it was read from, and the line structure is kept in the address.
 *
 *   const bytes = greekToIso88597('ΕΝΑΡΧΗ');                        // Uint8Array [0xc5, 0xcd, ...]
 *   const recs = await appendColumnTexts(corpus, reading, 'model@v3'); // one record per column (existing ones kept)
 *   const lines = await columnTextLines(corpus, recs[0]);              // ['ΕΝΑΡΧΗ', 'ΗΝΟΛΟΓΟΣ', ...]
 *   const { addresses, bytes } = await textPairs(corpus, recs);        // address+byte pairs of the letters
 */
import { createHash } from 'node:crypto';
import type { Corpus } from '../../corpus/index.js';
import { addressOf } from '../../corpus/index.js';
import type { RecordMeta } from '../../corpus/index.js';
import { UserError } from '../../core/errors.js';
import { lineText, type Reading } from '../reading/reading-file.js';

/** Padding of lines shorter than the longest (ISO-8859-7 space) and a lost letter ('?'). */
export const TEXT_PAD = 0x20;
export const LOST_LETTER = 0x3f;

/** Uppercase Greek Α..Ω (U+0391..U+03A9) → ISO-8859-7 bytes 0xC1..0xD9 (same order, 0xD2 unused like U+03A2); '?' stays '?'. */
export function greekToIso88597(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const cp = text.charCodeAt(i);
    if (cp === LOST_LETTER) {
      out[i] = LOST_LETTER;
      continue;
    }
    if (cp < 0x391 || cp > 0x3a9 || cp === 0x3a2)
      throw new UserError(
        `text record: '${text[i]}' (U+${cp.toString(16).toUpperCase()}) is not an uppercase Greek letter`,
      );
    out[i] = cp - 0x391 + 0xc1;
  }
  return out;
}

export function iso88597ToGreek(bytes: Uint8Array): string {
  return String.fromCharCode(...Array.from(bytes, (b) => (b === LOST_LETTER ? b : b - 0xc1 + 0x391)));
}

/** Line lengths of a text record: from its meta (extra.lineLengths), else every non-pad byte of each row. */
function lineLengthsOf(rec: RecordMeta, bytes: Uint8Array): number[] {
  const stored = rec.extra?.lineLengths;
  const [, L, M] = rec.shape;
  if (Array.isArray(stored) && stored.length === L) return stored as number[];
  return Array.from({ length: L }, (_, y) => {
    let n = 0;
    while (n < M && bytes[y * M + n] !== TEXT_PAD && bytes[y * M + n] !== 0) n++;
    return n;
  });
}

/** The lines of a column's text record, as Greek. */
export async function columnTextLines(corpus: Corpus, rec: RecordMeta, signal?: AbortSignal): Promise<string[]> {
  const [, L, M] = rec.shape;
  const bytes = (await corpus.readRecord(rec, 0, signal)).subarray(0, L * M);
  return lineLengthsOf(rec, bytes).map((n, y) => iso88597ToGreek(bytes.subarray(y * M, y * M + n)));
}

/** Record name of a column's text as read by a model version, e.g. `scroll1/seg1/text/col2@model@v3`. */
export function columnTextName(group: string, column: number, modelLabel: string): string {
  return `${group}/text/col${column}@${modelLabel}`;
}

/**
 * Appends one text record per non-empty column of the reading (scroll = the group's first part). A record that
 * already exists under the same name (the same model version read it before) is reused, not rewritten.
 */
export async function appendColumnTexts(
  corpus: Corpus,
  reading: Reading,
  modelLabel: string,
  signal?: AbortSignal,
): Promise<RecordMeta[]> {
  const group = reading.segment;
  const scroll = corpus.records({ group })[0]?.scroll ?? group.split('/')[0]!;
  const wanted = reading.columns
    .map((col) => ({ n: col.n, lines: col.lines.map(lineText) }))
    .filter((c) => c.lines.some((l) => l.length > 0))
    .map((c) => ({ ...c, name: columnTextName(group, c.n, modelLabel) }));
  const existing = new Map(corpus.records({ modality: 'text', group }).map((r) => [r.name, r]));
  const todo = wanted.filter((w) => !existing.has(w.name));
  if (todo.length) {
    await corpus.withWriter(async (w) => {
      for (const c of todo) {
        const longest = Math.max(...c.lines.map((l) => l.length));
        const bytes = new Uint8Array(c.lines.length * longest).fill(TEXT_PAD);
        c.lines.forEach((l, y) => bytes.set(greekToIso88597(l), y * longest));
        const rec = await w.appendRecord(
          {
            name: c.name,
            scroll,
            modality: 'text',
            shape: [1, c.lines.length, longest],
            dtype: 'uint8',
            source: {
              path: `reading of ${group} column ${c.n} by ${modelLabel}`,
              sha256: createHash('sha256').update(bytes).digest('hex'),
              format: 'text',
            },
            group,
            trainable: true,
            extra: {
              encoding: 'ISO-8859-7',
              column: c.n,
              lines: c.lines.length,
              lineLengths: c.lines.map((l) => l.length),
              pad: TEXT_PAD,
              readBy: modelLabel,
              lm: reading.source?.lm,
              derivedFrom: 'reading',
            },
          },
          async (writeSlab) => writeSlab(0, bytes),
          { pyramid: false },
          signal,
        );
        existing.set(rec.name, rec);
      }
    });
  }
  return wanted.map((w) => existing.get(w.name) ?? corpus.record(w.name));
}

/** The letters of the text records (not the padding) as address+byte pairs: row = line, column = letter. */
export async function textPairs(
  corpus: Corpus,
  records: RecordMeta[],
  signal?: AbortSignal,
): Promise<{ addresses: Float64Array; bytes: Uint8Array }> {
  const parts = await Promise.all(
    records.map(async (r) => {
      const [, L, M] = r.shape;
      const bytes = (await corpus.readRecord(r, 0, signal)).subarray(0, L * M);
      return { r, bytes, lengths: lineLengthsOf(r, bytes), M };
    }),
  );
  const n = parts.reduce((s, p) => s + p.lengths.reduce((a, b) => a + b, 0), 0);
  const addresses = new Float64Array(n);
  const bytes = new Uint8Array(n);
  let k = 0;
  for (const { r, bytes: b, lengths, M } of parts)
    lengths.forEach((len, y) => {
      for (let x = 0; x < len; x++) {
        addresses[k] = addressOf(r, 0, y, x);
        bytes[k++] = b[y * M + x]!;
      }
    });
  return { addresses, bytes };
}
