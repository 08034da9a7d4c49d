/**
 * Plain-text and Leiden-convention renderings of a reading.
 *
 *   toPlainText(reading)            // "Col. 1\nΕΝΑΡΧΗΗΝ\nΟΛΟΓΟΣ\n\nCol. 2\n..." (lost letters as '?')
 *   toLeiden(reading, { threshold: 0.8 })
 *     // "Col. I\n1  ΕΝΑ̣ΡΧ[ΗΗΝ]\n2  ΟΛ[.3]Σ" — underdot (U+0323) below the threshold, [ ] around letters the LM
 *     // supplied, [.N] for N lost letters (one bracket for a run of supplied and lost letters: [ΑΒ.2])
 */
import type { ReadLine, Reading } from '../reading/reading-file.js';
import { lineText, UNDERDOT_THRESHOLD } from '../reading/reading-file.js';

export const UNDERDOT = '\u0323';

export function toPlainText(reading: Reading): string {
  const cols = reading.columns.map((c) => [`Col. ${c.n}`, ...c.lines.map(lineText)].join('\n'));
  return `${cols.join('\n\n')}\n`;
}

export function romanNumeral(n: number): string {
  const table: [number, string][] = [
    [1000, 'M'],
    [900, 'CM'],
    [500, 'D'],
    [400, 'CD'],
    [100, 'C'],
    [90, 'XC'],
    [50, 'L'],
    [40, 'XL'],
    [10, 'X'],
    [9, 'IX'],
    [5, 'V'],
    [4, 'IV'],
    [1, 'I'],
  ];
  let out = '';
  for (const [v, s] of table) while (n >= v) ((out += s), (n -= v));
  return out;
}

export interface LeidenOptions {
  /** Letters seen in the ink with a probability below this get an underdot (default 0.8). */
  threshold?: number;
}

/** One line in Leiden conventions. */
export function leidenLine(line: ReadLine, opts: LeidenOptions = {}): string {
  const threshold = opts.threshold ?? UNDERDOT_THRESHOLD;
  let out = '';
  let bracket = '';
  let lost = 0;
  const flushLost = () => {
    if (lost) bracket += `.${lost}`;
    lost = 0;
  };
  const closeBracket = () => {
    flushLost();
    if (bracket) out += `[${bracket}]`;
    bracket = '';
  };
  for (const l of line.letters) {
    if (l.source === 'ink') {
      closeBracket();
      out += l.confidence < threshold ? l.char + UNDERDOT : l.char;
    } else if (l.source === 'lm') {
      flushLost();
      bracket += l.char;
    } else lost++;
  }
  closeBracket();
  return out;
}

export function toLeiden(reading: Reading, opts: LeidenOptions = {}): string {
  const width = String(Math.max(1, ...reading.columns.map((c) => c.lines.length))).length;
  const cols = reading.columns.map((c) =>
    [`Col. ${romanNumeral(c.n)}`, ...c.lines.map((l) => `${String(l.n).padStart(width)}  ${leidenLine(l, opts)}`)].join(
      '\n',
    ),
  );
  return `${cols.join('\n\n')}\n`;
}
