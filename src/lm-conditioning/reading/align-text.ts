/**
 * Which read letters are right: the minimal edit alignment of a read letter sequence to the known text, and for
 * each read letter whether it is paired with an equal letter (a match, not a substitution or an insertion).
 *
 *   rightLetters(['Α', 'Β', 'Χ'], 'ΑΓ')   // [true, false, false]
 *   alignText(['Α', 'Β', 'Χ'], 'ΑΓ')      // { right: [true, false, false], edits: 2 }
 */
export function rightLetters(read: readonly string[], want: string): boolean[] {
  return alignText(read, want).right;
}

/** The alignment's verdict per read letter and its number of edits (the edit distance of the two texts). */
export function alignText(read: readonly string[], want: string): { right: boolean[]; edits: number } {
  const n = read.length;
  const m = want.length;
  const d = Array.from({ length: n + 1 }, (_, i) =>
    Int32Array.from({ length: m + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= n; i++)
    for (let j = 1; j <= m; j++)
      d[i]![j] = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + (read[i - 1] === want[j - 1] ? 0 : 1),
      );
  const out = new Array<boolean>(n).fill(false);
  let i = n;
  let j = m;
  while (i > 0 && j > 0) {
    const same = read[i - 1] === want[j - 1];
    if (d[i]![j] === d[i - 1]![j - 1]! + (same ? 0 : 1)) {
      out[i - 1] = same;
      i--;
      j--;
    } else if (d[i]![j] === d[i - 1]![j]! + 1) i--;
    else j--;
  }
  return { right: out, edits: d[n]![m]! };
}
