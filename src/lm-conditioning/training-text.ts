/**
 * Training text for the Greek LM from a folder the user gives: plain UTF-8 files (.txt) and TEI XML (.xml, as in
 * Perseus canonical-greekLit or First1KGreek: the text of <body>, notes and apparatus left out), each normalised to
 * scriptio continua. Files are read in sorted path order so that a model built twice is the same.
 *
 *   const { letters, files } = await readTrainingFolder('/data/first1kgreek');   // letters: normalised string
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { DOMParser, type Node as XmlNode, type Element as XmlElement } from '@xmldom/xmldom';
import { UserError } from '../core/errors.js';
import { normalizeGreek } from './greek-text.js';

/** Elements whose text is not part of the edited text. */
const SKIP_ELEMENTS = new Set([
  'note',
  'app',
  'rdg',
  'bibl',
  'head',
  'ref',
  'del',
  'sic',
  'orig',
  'teiHeader',
  'figDesc',
  'label',
]);

function collectText(node: XmlNode, out: string[]): void {
  if (node.nodeType === 3 /* text */ || node.nodeType === 4 /* CDATA */) {
    out.push(node.nodeValue ?? '');
    return;
  }
  if (node.nodeType === 1) {
    const local = (node as XmlElement).localName ?? (node as XmlElement).nodeName;
    if (SKIP_ELEMENTS.has(local)) return;
    // <choice><sic/><corr/></choice>, <choice><orig/><reg/></choice>: keep the corrected/regularised reading.
  }
  for (let c = node.firstChild; c; c = c.nextSibling) collectText(c, out);
  // Word-level elements end a word: keep a space so that normalisation sees boundaries (they vanish anyway).
  out.push(' ');
}

/** The normalised Greek letters of one TEI XML document's <body> (or whole <text> when there is no <body>). */
export function teiText(xml: string, file = 'input'): string {
  const errors: string[] = [];
  let doc;
  try {
    doc = new DOMParser({
      onError: (level, msg) => {
        if (level !== 'warning') errors.push(msg);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (err) {
    throw new UserError(`${file}: not well-formed XML: ${(err as Error).message}`, { cause: err });
  }
  if (errors.length) throw new UserError(`${file}: not well-formed XML: ${errors[0]}`);
  const bodies = doc.getElementsByTagNameNS('*', 'body');
  const roots = bodies.length
    ? Array.from({ length: bodies.length }, (_, i) => bodies.item(i)!)
    : [doc.documentElement!];
  const parts: string[] = [];
  for (const r of roots) collectText(r, parts);
  return normalizeGreek(parts.join(''));
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (/\.(txt|xml)$/i.test(entry.name)) out.push(full);
  }
  return out.sort();
}

export interface TrainingText {
  letters: string;
  files: { path: string; letters: number }[];
}

/** Reads every .txt and .xml below `dir` (recursively). UserError when the folder is missing or has no Greek. */
export async function readTrainingFolder(dir: string, signal?: AbortSignal): Promise<TrainingText> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new UserError(`training corpus ${dir} is not a folder`);
  const files = await listFiles(dir);
  const used: TrainingText['files'] = [];
  const chunks: string[] = [];
  for (const f of files) {
    signal?.throwIfAborted();
    const raw = await readFile(f, 'utf8');
    const letters = /\.xml$/i.test(f) ? teiText(raw, f) : normalizeGreek(raw);
    if (letters.length) {
      chunks.push(letters);
      used.push({ path: f, letters: letters.length });
    }
  }
  const letters = chunks.join('');
  if (letters.length < 1000) {
    throw new UserError(
      `training corpus ${dir} has too little Greek text (${letters.length} letters in ${files.length} .txt/.xml files; need at least 1000)`,
    );
  }
  return { letters, files: used };
}
