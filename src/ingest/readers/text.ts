/**
 * Text transcriptions (UTF-8) → one byte per character in ISO-8859-7, a [1, 1, n] uint8 record. ASCII stays as is
 * (newlines kept as 0x0A; CR dropped), Greek letters map to 0xC1–0xF9 (Α = U+0391 → 0xC1 ... ω = U+03C9 → 0xF9),
 * accented and polytonic letters lose their diacritics (NFD, combining marks dropped; counted in extra), and
 * anything else — invalid UTF-8, letters of other scripts, symbols without an ISO-8859-7 byte — is a UserError
 * naming the file, line, column and character.
 *
 *   const bytes = encodeIso8859_7('ΜΗΝΙΝ\n', 'a.txt');          // Uint8Array [0xCC, 0xC7, 0xCD, 0xC9, 0xCD, 0x0A]
 *   const { volume, extra } = await openText('/data/column1.txt');
 *   decodeIso8859_7(bytes) === 'ΜΗΝΙΝ\n';
 */
import { readFile, stat } from 'node:fs/promises';

import { limit, overLimit } from '../../core/limits.js';
import { UserError } from '../../core/errors.js';
import type { VolumeSource } from '../source.js';
import { memoryVolume } from './volume-util.js';

/** ISO-8859-7 (2003) bytes 0xA0..0xFF → Unicode; 0 marks the three unassigned bytes (0xAE, 0xD2, 0xFF). */
const HIGH_HALF: number[] = [
  0x00a0,
  0x2018,
  0x2019,
  0x00a3,
  0x20ac,
  0x20af,
  0x00a6,
  0x00a7,
  0x00a8,
  0x00a9,
  0x037a,
  0x00ab,
  0x00ac,
  0x00ad,
  0,
  0x2015,
  0x00b0,
  0x00b1,
  0x00b2,
  0x00b3,
  0x0384,
  0x0385,
  0x0386,
  0x00b7,
  0x0388,
  0x0389,
  0x038a,
  0x00bb,
  0x038c,
  0x00bd,
  0x038e,
  0x038f,
  ...Array.from({ length: 0x50 }, (_, i) => (0x0390 + i === 0x03a2 || 0x0390 + i > 0x03ce ? 0 : 0x0390 + i)),
];

const TO_BYTE = new Map<number, number>();
HIGH_HALF.forEach((cp, i) => {
  if (cp !== 0) TO_BYTE.set(cp, 0xa0 + i);
});

/** The byte of one code point, or undefined when ISO-8859-7 has none (controls other than TAB/LF count as none). */
function byteOf(cp: number): number | undefined {
  if (cp === 0x09 || cp === 0x0a || (cp >= 0x20 && cp < 0x7f)) return cp;
  return TO_BYTE.get(cp);
}

export interface EncodedText {
  bytes: Uint8Array;
  lines: number;
  diacriticsDropped: number;
}

/** Encodes `text` (already decoded) to ISO-8859-7; `file` names the source in errors. */
export function encodeIso8859_7(text: string, file: string): EncodedText {
  const out = new Uint8Array(text.length);
  let n = 0,
    dropped = 0;
  const lines = text.split('\n');
  lines.forEach((line, lineIndex) => {
    let column = 0;
    for (const ch of line) {
      column++;
      const cp = ch.codePointAt(0)!;
      if (cp === 0x0d || cp === 0xfeff) continue;
      let byte = byteOf(cp);
      if (byte === undefined) {
        const [base, ...marks] = Array.from(ch.normalize('NFD'));
        const baseByte = base !== undefined ? byteOf(base.codePointAt(0)!) : undefined;
        if (baseByte !== undefined && marks.length > 0 && marks.every((m) => /\p{M}/u.test(m))) {
          byte = baseByte;
          dropped += marks.length;
        }
      }
      if (byte === undefined) {
        const where = `${file}: line ${lineIndex + 1}, column ${column}: ${describeChar(ch, cp)}`;
        if (/\p{L}/u.test(ch))
          throw new UserError(`${where} is a letter outside Greek/Latin (or has no ISO-8859-7 byte)`);
        throw new UserError(`${where} has no ISO-8859-7 byte`);
      }
      out[n++] = byte;
    }
    if (lineIndex < lines.length - 1) out[n++] = 0x0a;
  });
  return { bytes: out.slice(0, n), lines: lines.length, diacriticsDropped: dropped };
}

/** ISO-8859-7 bytes back to a string (for export and tests). */
export function decodeIso8859_7(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCodePoint(b < 0xa0 ? b : HIGH_HALF[b - 0xa0] || 0xfffd);
  return s;
}

function describeChar(ch: string, cp: number): string {
  const printable = /[\p{L}\p{N}\p{P}\p{S}]/u.test(ch) ? `'${ch}' ` : '';
  return `character ${printable}(U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
}

/** Decodes UTF-8 strictly; on failure names the first line that is not valid UTF-8. */
export function decodeUtf8Strict(bytes: Uint8Array, file: string): string {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    return decoder.decode(bytes);
  } catch {
    let start = 0,
      line = 1;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        try {
          decoder.decode(bytes.subarray(start, i));
        } catch {
          throw new UserError(`${file}: line ${line} is not valid UTF-8 (text must be UTF-8)`);
        }
        start = i + 1;
        line++;
      }
    }
    throw new UserError(`${file}: not valid UTF-8 (text must be UTF-8)`);
  }
}

/** A UTF-8 text file as a [1, 1, n] ISO-8859-7 record. */
export async function openText(file: string): Promise<{ volume: VolumeSource; extra: Record<string, unknown> }> {
  const size = (await stat(file)).size;
  if (size > limit('textBytes'))
    throw new UserError(`${file}: ${overLimit('textBytes', size, 'the text is')}`, { file });
  const text = decodeUtf8Strict(await readFile(file), file);
  const { bytes, lines, diacriticsDropped } = encodeIso8859_7(text, file);
  if (bytes.length === 0) throw new UserError(`${file}: empty text`);
  return {
    volume: memoryVolume([1, 1, bytes.length], 'uint8', bytes),
    extra: { encoding: 'ISO-8859-7', characters: bytes.length, lines, diacriticsDropped },
  };
}
