/**
 * Interpolated modified Kneser–Ney (Chen & Goodman 1998) over the 24 Greek letters, high order (default 10).
 * Counts are kept per order as a sorted Float64Array of n-gram keys (base-25 digits, oldest letter most significant,
 * so all continuations of one context are contiguous) beside a Uint32Array of counts: compact, no per-n-gram
 * objects, built by sorting typed arrays (about a second for the 680k-letter SBLGNT), queried by binary search.
 *
 *   const lm = KneserNeyLM.build(toLetterIds(train), { order: 10 });
 *   const p = lm.distribution(toLetterIds('ΕΝΑΡΧΗΗΝΟΛΟΓΟ'));   // p[GREEK_ALPHABET.indexOf('Σ')] is large
 *   await lm.save('kn.lm'); const again = await KneserNeyLM.load('kn.lm');
 *
 * The highest order uses raw counts, lower orders continuation counts N1+(• h w); three discounts per order from
 * the count-of-counts; the unigram level is interpolated with the uniform distribution.
 */
import { readFile, writeFile, rename } from 'node:fs/promises';
import { UserError } from '../core/errors.js';
import { ALPHABET_SIZE, type CharLM } from './char-lm.js';

const BASE = 25; // digit 0 = "no letter", 1..24 = letter id + 1
/** 25^11 < 2^53: keys of up to 11 letters are exact in a float64. */
export const MAX_KN_ORDER = 11;
const POW = Array.from({ length: MAX_KN_ORDER + 1 }, (_, i) => BASE ** i);
const MAGIC = 'scroll-aunn-kn-lm';

interface OrderTable {
  keys: Float64Array;
  counts: Uint32Array;
  /** Discounts D1, D2, D3+ for counts 1, 2, ≥3. */
  d: [number, number, number];
}

export interface KneserNeyOptions {
  /** n-gram order (context = order - 1 letters); 2..11. */
  order?: number;
  signal?: AbortSignal;
}

/** Sorted unique values of `keys` (sorted in place) and how often each occurs. */
function uniqueCounts(keys: Float64Array): { keys: Float64Array; counts: Uint32Array } {
  keys.sort();
  let u = 0;
  const counts = new Uint32Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && keys[i] === keys[u - 1]) counts[u - 1]!++;
    else {
      keys[u] = keys[i]!;
      counts[u] = 1;
      u++;
    }
  }
  return { keys: keys.slice(0, u), counts: counts.slice(0, u) };
}

function discounts(counts: Uint32Array): [number, number, number] {
  const n = [0, 0, 0, 0, 0];
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c <= 4) n[c]!++;
  }
  const [, n1, n2, n3, n4] = n as [number, number, number, number, number];
  if (n1 === 0 || n2 === 0 || n3 === 0 || n4 === 0) return [0.5, 1, 1.5];
  const y = n1 / (n1 + 2 * n2);
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0.05), hi);
  return [clamp(1 - 2 * y * (n2 / n1), 1), clamp(2 - 3 * y * (n3 / n2), 2), clamp(3 - 4 * y * (n4 / n3), 3)];
}

function lowerBound(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class KneserNeyLM implements CharLM {
  readonly name: string;
  readonly contextLength: number;
  private readonly scratch = new Float64Array(ALPHABET_SIZE);

  private constructor(
    readonly order: number,
    /** tables[n - 1] holds the n-grams. */
    private readonly tables: OrderTable[],
    /** The letters it was built from (kept so that save() is small and exact). */
    private readonly trainIds: Uint8Array,
  ) {
    this.name = `kn-${order}`;
    this.contextLength = order - 1;
  }

  static build(ids: Uint8Array, opts: KneserNeyOptions = {}): KneserNeyLM {
    const order = opts.order ?? 10;
    if (!Number.isInteger(order) || order < 2 || order > MAX_KN_ORDER) {
      throw new UserError(`Kneser–Ney order must be an integer 2..${MAX_KN_ORDER}, got ${order}`);
    }
    if (ids.length < order * 10)
      throw new UserError(`training text too short for an order-${order} model: ${ids.length} letters`);
    const tables: OrderTable[] = new Array(order);
    // Highest order: raw counts of every n-gram.
    const top = new Float64Array(ids.length - order + 1);
    let key = 0;
    for (let i = 0; i < ids.length; i++) {
      key = (key % POW[order - 1]!) * BASE + ids[i]! + 1;
      if (i >= order - 1) top[i - order + 1] = key;
    }
    let cur = uniqueCounts(top);
    tables[order - 1] = { ...cur, d: discounts(cur.counts) };
    // Lower orders: continuation counts = number of distinct one-letter-left extensions.
    for (let n = order - 1; n >= 1; n--) {
      opts.signal?.throwIfAborted();
      const suffixes = new Float64Array(cur.keys.length);
      for (let i = 0; i < cur.keys.length; i++) suffixes[i] = cur.keys[i]! % POW[n]!;
      cur = uniqueCounts(suffixes);
      tables[n - 1] = { ...cur, d: discounts(cur.counts) };
    }
    return new KneserNeyLM(order, tables, ids);
  }

  distribution(context: ArrayLike<number>, out = new Float64Array(ALPHABET_SIZE)): Float64Array {
    const p = out;
    p.fill(1 / ALPHABET_SIZE);
    const next = this.scratch;
    const L = context.length;
    let ctxKey = 0; // key of the last (n-1) letters
    for (let n = 1; n <= this.order; n++) {
      if (n > 1) {
        if (n - 1 > L) break;
        ctxKey += (context[L - n + 1]! + 1) * POW[n - 2]!;
      }
      const t = this.tables[n - 1]!;
      const lo = ctxKey * BASE + 1;
      const hi = ctxKey * BASE + ALPHABET_SIZE;
      const start = lowerBound(t.keys, lo);
      let end = start;
      let total = 0;
      let n1 = 0;
      let n2 = 0;
      let n3 = 0;
      while (end < t.keys.length && t.keys[end]! <= hi) {
        const c = t.counts[end]!;
        total += c;
        if (c === 1) n1++;
        else if (c === 2) n2++;
        else n3++;
        end++;
      }
      if (total === 0) break; // unseen context: longer ones are unseen too
      const [d1, d2, d3] = t.d;
      const gamma = (d1 * n1 + d2 * n2 + d3 * n3) / total;
      for (let w = 0; w < ALPHABET_SIZE; w++) next[w] = gamma * p[w]!;
      for (let i = start; i < end; i++) {
        const c = t.counts[i]!;
        const w = t.keys[i]! - ctxKey * BASE - 1;
        next[w] = next[w]! + (c - (c === 1 ? d1 : c === 2 ? d2 : d3)) / total;
      }
      p.set(next);
    }
    return p;
  }

  /** The same model trained right-to-left (for restoration with context on both sides). */
  reversed(signal?: AbortSignal): KneserNeyLM {
    return KneserNeyLM.build(this.trainIds.slice().reverse(), { order: this.order, signal });
  }

  /** Letters it was trained on. */
  get trainingLetters(): number {
    return this.trainIds.length;
  }

  /** Number of distinct n-grams per order (1..order). */
  sizes(): number[] {
    return this.tables.map((t) => t.keys.length);
  }

  /** Writes a small file: a header line and the training letters (the counts are rebuilt on load, about a second). */
  async save(file: string): Promise<void> {
    const header = Buffer.from(
      JSON.stringify({ format: MAGIC, version: 1, order: this.order, letters: this.trainIds.length }) + '\n',
    );
    const tmp = `${file}.tmp-${process.pid}`;
    await writeFile(tmp, Buffer.concat([header, Buffer.from(this.trainIds)]));
    await rename(tmp, file);
  }

  static async load(file: string, signal?: AbortSignal): Promise<KneserNeyLM> {
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch (err) {
      throw new UserError(`cannot read language model ${file}: ${(err as Error).message}`, { cause: err });
    }
    const nl = buf.indexOf(10);
    let header: { format?: string; order?: number; letters?: number } = {};
    try {
      header = JSON.parse(buf.subarray(0, nl).toString('utf8'));
    } catch {
      /* reported below */
    }
    if (nl < 0 || header.format !== MAGIC || typeof header.order !== 'number') {
      throw new UserError(`${file} is not a Kneser–Ney language model file (no '${MAGIC}' header)`);
    }
    const ids = new Uint8Array(buf.subarray(nl + 1));
    if (ids.length !== header.letters || ids.some((v) => v >= ALPHABET_SIZE)) {
      throw new UserError(
        `${file}: damaged language model (expected ${header.letters} letter ids, found ${ids.length})`,
      );
    }
    return KneserNeyLM.build(ids, { order: header.order, signal });
  }
}
