/**
 * Greek text as the whole project sees it: scriptio continua (uppercase Α–Ω, no accents, breathings, spaces or
 * punctuation; final sigma → Σ), and the default corpus, the SBL Greek New Testament (npm `sblgnt`, CC BY 4.0,
 * "SBL Greek New Testament", Society of Biblical Literature and Logos Bible Software).
 *
 *   normalizeGreek('Ἐν ἀρχῇ ἦν ὁ λόγος,') === 'ΕΝΑΡΧΗΗΝΟΛΟΓΟΣ'
 *   const { train, heldOut, sample } = await loadSblgnt();   // LM learns `train`; sample scrolls are written from `sample`
 *
 * Three disjoint parts, by book:
 * - `heldOut` (HELD_OUT_BOOKS) is never written on a sample scroll and never used to train the language model: it is
 *   the unseen text the LM's restoration is evaluated on;
 * - `sample` (SAMPLE_BOOKS) is the text the synthetic sample scrolls are written with; the default LM never trains on
 *   it either, so reading a sample scroll measures the reader, not the LM recalling the passage;
 * - `train` is everything else.
 */
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The 24 letters, in order; index = letter id everywhere in the project. */
export const GREEK_ALPHABET = 'ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ';

/** Books held out from the sample scrolls and from LM training (about 10% of the letters). */
export const HELD_OUT_BOOKS = ['Heb', 'Jas', '1Pe', '2Pe', '1Jn', '2Jn', '3Jn', 'Jud'];

/** Books the sample scrolls are written with, kept out of the default LM's training text. */
export const SAMPLE_BOOKS = ['Ac'];

/**
 * Training books set aside to choose restoration settings (search widths, weights, temperature) without looking at
 * the held-out books: models used for such choices are built from the training books minus these (`devSplit`).
 */
export const DEV_BOOKS = ['Ro', 'Eph', 'Php'];

/** Uppercase, strip diacritics (NFD + drop combining marks), final sigma → Σ, keep only Α–Ω. */
export function normalizeGreek(text: string): string {
  const decomposed = text.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  let out = '';
  for (const ch of decomposed.toUpperCase()) {
    if (ch === 'ς' || ch === 'Σ') out += 'Σ';
    else if (GREEK_ALPHABET.includes(ch)) out += ch;
    // Archaic/variant forms that NFD does not fold.
    else if (ch === 'ϲ' || ch === 'Ϲ') out += 'Σ';
  }
  return out;
}

export interface GreekCorpus {
  /** Normalised letters of the training books, verse order, concatenated. */
  train: string;
  /** Normalised letters of the held-out books. */
  heldOut: string;
  /** Normalised letters of the books the sample scrolls are written with. */
  sample: string;
  /** Every book in canonical order: its part, normalised letters and normalised words (word boundaries of the edition). */
  books: BookText[];
}

export interface BookText {
  /** SBLGNT abbreviation, e.g. 'Ro'. */
  book: string;
  part: 'train' | 'heldOut' | 'sample';
  letters: string;
  /** Normalised words in order (concatenated they are `letters`). */
  words: string[];
}

/**
 * The training books split for choosing settings: `train` without DEV_BOOKS (letters and words) and `dev` (DEV_BOOKS).
 *
 *   const { train, trainWords, dev } = devSplit(await loadSblgnt());
 */
export function devSplit(
  corpus: GreekCorpus,
  devBooks: string[] = DEV_BOOKS,
): { train: string; trainWords: string[]; dev: string } {
  const trainBooks = corpus.books.filter((b) => b.part === 'train' && !devBooks.includes(b.book));
  const devParts = corpus.books.filter((b) => b.part === 'train' && devBooks.includes(b.book));
  return {
    train: trainBooks.map((b) => b.letters).join(''),
    trainWords: trainBooks.flatMap((b) => b.words),
    dev: devParts.map((b) => b.letters).join(''),
  };
}

/** Normalised words of the training books (the lexicon of the default word model). */
export function trainingWords(corpus: GreekCorpus): string[] {
  return corpus.books.filter((b) => b.part === 'train').flatMap((b) => b.words);
}

function sblgntTxtDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('sblgnt/package.json')), 'txt');
}

let cached: Promise<GreekCorpus> | undefined;

/** Reads the SBLGNT books (skipping the apparatus files) and splits them into training and held-out text. */
export function loadSblgnt(): Promise<GreekCorpus> {
  cached ??= (async () => {
    const dir = sblgntTxtDir();
    const files = (await readdir(dir)).filter((f) => /^\d\d-.*\.txt$/.test(f) && !f.includes('APP')).sort();
    let train = '';
    let heldOut = '';
    let sample = '';
    const books: BookText[] = [];
    for (const f of files) {
      const book = f.replace(/^\d\d-/, '').replace(/\.txt$/, '');
      const lines = (await readFile(path.join(dir, f), 'utf8')).split('\n');
      // Verse lines are `Mt 1:1<TAB>text`; the first line is the book title.
      const words = lines
        .filter((l) => l.includes('\t'))
        .flatMap((l) => l.slice(l.indexOf('\t') + 1).split(/\s+/))
        .map(normalizeGreek)
        .filter((w) => w.length > 0);
      const text = words.join('');
      const part = HELD_OUT_BOOKS.includes(book) ? 'heldOut' : SAMPLE_BOOKS.includes(book) ? 'sample' : 'train';
      if (part === 'heldOut') heldOut += text;
      else if (part === 'sample') sample += text;
      else train += text;
      books.push({ book, part, letters: text, words });
    }
    return { train, heldOut, sample, books };
  })();
  return cached;
}
