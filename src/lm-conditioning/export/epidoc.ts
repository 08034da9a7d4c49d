/**
 * EpiDoc TEI XML of a reading: <div type="edition"> holding one <ab>, a <cb n> per column and an <lb n> per line;
 * letters below the confidence threshold in <unclear>, letters the LM supplied in <supplied reason="lost">, lost
 * letters as <gap reason="lost" quantity="N" unit="character"/>. Built with @xmldom/xmldom, so it is well-formed.
 *
 *   const xml = toEpiDoc(reading, { threshold: 0.8, title: 'Scroll 1, segment 1' });
 */
import {
  DOMImplementation,
  XMLSerializer,
  type Document as XmlDocument,
  type Element as XmlElement,
} from '@xmldom/xmldom';
import type { Reading } from '../reading/reading-file.js';
import { UNDERDOT_THRESHOLD } from '../reading/reading-file.js';

export const TEI_NS = 'http://www.tei-c.org/ns/1.0';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export interface EpiDocOptions {
  threshold?: number;
  title?: string;
}

function el(
  doc: XmlDocument,
  parent: XmlElement,
  name: string,
  attrs: Record<string, string> = {},
  text?: string,
): XmlElement {
  const e = doc.createElementNS(TEI_NS, name);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('xml:')) e.setAttributeNS(XML_NS, k, v);
    else e.setAttribute(k, v);
  }
  if (text !== undefined) e.appendChild(doc.createTextNode(text));
  parent.appendChild(e);
  return e;
}

export function toEpiDoc(reading: Reading, opts: EpiDocOptions = {}): string {
  const threshold = opts.threshold ?? UNDERDOT_THRESHOLD;
  const doc = new DOMImplementation().createDocument(TEI_NS, 'TEI', null);
  const tei = doc.documentElement!;
  tei.setAttributeNS(XML_NS, 'xml:lang', 'en');
  const header = el(doc, tei, 'teiHeader');
  const fileDesc = el(doc, header, 'fileDesc');
  el(doc, el(doc, fileDesc, 'titleStmt'), 'title', {}, opts.title ?? `Text read from segment ${reading.segment}`);
  el(doc, el(doc, fileDesc, 'publicationStmt'), 'p', {}, 'Machine reading produced by Scroll AUNN; not an edition.');
  const src = [`Predicted ink of segment ${reading.segment}`];
  if (reading.source?.ink) src.push(`record ${reading.source.ink}`);
  if (reading.source?.lm)
    src.push(`language model: ${reading.source.lm}${reading.source.lmName ? ` (${reading.source.lmName})` : ''}`);
  el(doc, el(doc, fileDesc, 'sourceDesc'), 'p', {}, `${src.join('; ')}.`);
  const edition = el(doc, el(doc, el(doc, tei, 'text'), 'body'), 'div', { type: 'edition', 'xml:lang': 'grc' });
  const ab = el(doc, edition, 'ab');
  for (const col of reading.columns) {
    el(doc, ab, 'cb', { n: String(col.n) });
    for (const line of col.lines) {
      el(doc, ab, 'lb', { n: String(line.n) });
      const ls = line.letters;
      for (let i = 0; i < ls.length;) {
        const l = ls[i]!;
        let j = i + 1;
        if (l.source === 'ink') {
          const unclear = l.confidence < threshold;
          while (j < ls.length && ls[j]!.source === 'ink' && ls[j]!.confidence < threshold === unclear) j++;
          const text = ls
            .slice(i, j)
            .map((x) => x.char)
            .join('');
          if (unclear) el(doc, ab, 'unclear', {}, text);
          else ab.appendChild(doc.createTextNode(text));
        } else if (l.source === 'lm') {
          while (j < ls.length && ls[j]!.source === 'lm') j++;
          el(
            doc,
            ab,
            'supplied',
            { reason: 'lost' },
            ls
              .slice(i, j)
              .map((x) => x.char)
              .join(''),
          );
        } else {
          while (j < ls.length && ls[j]!.source === 'lost') j++;
          el(doc, ab, 'gap', { reason: 'lost', quantity: String(j - i), unit: 'character' });
        }
        i = j;
      }
    }
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(doc)}\n`;
}
