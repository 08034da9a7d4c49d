import { describe, expect, it } from 'vitest';
import { DOMParser, type Element as XmlElement } from '@xmldom/xmldom';
import { decode as decodePng } from 'fast-png';
import UTIF from 'utif2';
import type { ReadLetter, Reading } from '../../src/lm-conditioning/reading/reading-file.js';
import { validateReading } from '../../src/lm-conditioning/reading/reading-file.js';
import { toLeiden, toPlainText, UNDERDOT, romanNumeral } from '../../src/lm-conditioning/export/text.js';
import { TEI_NS, toEpiDoc } from '../../src/lm-conditioning/export/epidoc.js';
import { encodePng, encodeTiff, renderColumnImage } from '../../src/lm-conditioning/export/image.js';

const ink = (char: string, confidence = 0.99, x = 0): ReadLetter => ({
  char,
  confidence,
  source: 'ink',
  bbox: [x, 10, x + 8, 22],
});
const lm = (char: string): ReadLetter => ({ char, confidence: 0.6, source: 'lm' });
const lost = (): ReadLetter => ({ char: '', confidence: 0, source: 'lost' });

/** Col. 1: ΕΝΑ̣ΡΧ[ΗΗ]Ν / ΟΛ[.3]Σ ; Col. 2: ΚΑΙ */
const reading: Reading = {
  format: 'scroll-aunn-reading',
  version: 1,
  segment: 'scroll1/seg1',
  source: { ink: 'scroll1/seg1/ink', lm: 'decode' },
  columns: [
    {
      n: 1,
      bbox: [0, 0, 60, 50],
      lines: [
        {
          n: 1,
          letters: [
            ink('Ε', 0.99, 0),
            ink('Ν', 0.95, 9),
            ink('Α', 0.5, 18),
            ink('Ρ', 0.9, 27),
            ink('Χ', 0.9, 36),
            lm('Η'),
            lm('Η'),
            ink('Ν', 0.9, 45),
          ],
        },
        { n: 2, letters: [ink('Ο'), ink('Λ'), lost(), lost(), lost(), ink('Σ', 0.3)] },
      ],
    },
    { n: 2, lines: [{ n: 1, letters: [ink('Κ'), ink('Α'), ink('Ι')] }] },
  ],
};

describe('reading JSON', () => {
  it('accepts a valid reading and names the file and the problem otherwise', () => {
    expect(validateReading(JSON.parse(JSON.stringify(reading)), 'r.json').segment).toBe('scroll1/seg1');
    const bad = JSON.parse(JSON.stringify(reading));
    bad.columns[0].lines[1].letters[0].char = 'Q';
    expect(() => validateReading(bad, 'r.json')).toThrow(/r\.json.*column 1 line 2 letter 1/);
  });
});

describe('text exports', () => {
  it('txt: uppercase scriptio continua, one line per line, columns separated with a header', () => {
    expect(toPlainText(reading)).toBe('Col. 1\nΕΝΑΡΧΗΗΝ\nΟΛ???Σ\n\nCol. 2\nΚΑΙ\n');
  });

  it('leiden: underdots below the threshold, [ ] for LM letters, [.3] for lost, line numbers', () => {
    const text = toLeiden(reading, { threshold: 0.8 });
    const lines = text.split('\n');
    expect(lines[0]).toBe('Col. I');
    expect(lines[1]).toBe(`1  ΕΝΑ${UNDERDOT}ΡΧ[ΗΗ]Ν`);
    expect(lines[2]).toBe(`2  ΟΛ[.3]Σ${UNDERDOT}`);
    expect(lines[4]).toBe('Col. II');
    expect(lines[5]).toBe('1  ΚΑΙ');
    expect(romanNumeral(14)).toBe('XIV');
  });
});

describe('EpiDoc', () => {
  it('is well-formed TEI with cb, lb, unclear, supplied and gap where they belong', () => {
    const xml = toEpiDoc(reading, { threshold: 0.8 });
    const errors: string[] = [];
    const doc = new DOMParser({
      onError: (level, msg) => {
        if (level !== 'warning') errors.push(msg);
      },
    }).parseFromString(xml, 'text/xml');
    expect(errors).toEqual([]);
    const root = doc.documentElement!;
    expect(root.localName).toBe('TEI');
    expect(root.namespaceURI).toBe(TEI_NS);
    const byName = (n: string) => Array.from(doc.getElementsByTagNameNS(TEI_NS, n) as unknown as ArrayLike<XmlElement>);
    expect(byName('teiHeader')).toHaveLength(1);
    expect(byName('title')[0]!.textContent).toContain('scroll1/seg1');
    const edition = byName('div').find((d) => d.getAttribute('type') === 'edition')!;
    expect(edition).toBeDefined();
    expect(edition.getAttributeNS('http://www.w3.org/XML/1998/namespace', 'lang')).toBe('grc');
    expect(byName('cb').map((e) => e.getAttribute('n'))).toEqual(['1', '2']);
    expect(byName('lb').map((e) => e.getAttribute('n'))).toEqual(['1', '2', '1']);
    expect(byName('unclear').map((e) => e.textContent)).toEqual(['Α', 'Σ']);
    const supplied = byName('supplied');
    expect(supplied.map((e) => [e.textContent, e.getAttribute('reason')])).toEqual([['ΗΗ', 'lost']]);
    const gap = byName('gap');
    expect(gap.map((e) => [e.getAttribute('reason'), e.getAttribute('quantity'), e.getAttribute('unit')])).toEqual([
      ['lost', '3', 'character'],
    ]);
    // Every edition element sits inside the one <ab>, in reading order.
    const ab = byName('ab');
    expect(ab).toHaveLength(1);
    expect(ab[0]!.textContent).toBe('ΕΝΑΡΧΗΗΝΟΛΣΚΑΙ');
  });
});

describe('image exports', () => {
  const W = 80;
  const H = 60;
  const map = new Uint8Array(W * H);
  for (let y = 12; y < 20; y++) for (let x = 2; x < 50; x++) map[y * W + x] = 255; // a dark band of "ink"
  const col = reading.columns[0]!;

  it('png: decodable, ink drawn dark, letters coloured, scale bar present', () => {
    const img = renderColumnImage(map, [H, W], col, { pixelSizeUm: 10, margin: 4 });
    const png = decodePng(encodePng(img));
    expect([png.width, png.height]).toEqual([img.width, img.height]);
    expect(png.channels).toBe(4);
    const px = (x: number, y: number) =>
      Array.from(png.data.slice((y * png.width + x) * 4, (y * png.width + x) * 4 + 3));
    // Ink pixel (no letter drawn there) darker than background.
    expect(px(16, 19)[0]!).toBeLessThan(px(16, 40)[0]! - 100);
    // Some green (confident letters) and orange (the uncertain Α) pixels exist.
    let green = 0;
    let orange = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
      if (g > 120 && r < 60 && b < 100) green++;
      if (r > 200 && g > 90 && g < 150 && b < 40) orange++;
    }
    expect(green).toBeGreaterThan(10);
    expect(orange).toBeGreaterThan(3);
    // Scale bar: a black run along the bottom area.
    let barRow = 0;
    for (let y = png.height - 24; y < png.height; y++) {
      let run = 0;
      for (let x = 0; x < png.width; x++) if (px(x, y)[0]! < 20) run++;
      barRow = Math.max(barRow, run);
    }
    expect(barRow).toBeGreaterThan(20);
  });

  it('tiff: decodable with the same pixels', () => {
    const img = renderColumnImage(map, [H, W], col);
    const tif = encodeTiff(img);
    const ifds = UTIF.decode(tif.buffer as ArrayBuffer);
    UTIF.decodeImage(tif.buffer as ArrayBuffer, ifds[0]!);
    const rgba = UTIF.toRGBA8(ifds[0]!);
    expect(ifds[0]!.width).toBe(img.width);
    expect(Buffer.from(rgba).equals(Buffer.from(img.data))).toBe(true);
  });
});
