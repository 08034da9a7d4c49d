import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { discover } from '../../src/ingest/discover.js';
import { decodeIso8859_7, encodeIso8859_7 } from '../../src/ingest/readers/text.js';
import { loadSblgnt } from '../../src/lm-conditioning/greek-text.js';
import { tempDir } from './fixture-values.js';

const expectUserError = async (p: Promise<unknown>, pattern: RegExp) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  expect((err as Error).message).toMatch(pattern);
};

describe('ISO-8859-7 encoding', () => {
  it('agrees with the platform ISO-8859-7 decoder (TextDecoder) on every Greek and ASCII character it maps', () => {
    const platform = new TextDecoder('iso-8859-7');
    let text = '';
    for (let b = 0x20; b < 0x7f; b++) text += String.fromCharCode(b);
    for (let b = 0xa0; b <= 0xff; b++) {
      const ch = platform.decode(new Uint8Array([b]));
      if (ch !== '\ufffd') text += ch;
    }
    const { bytes } = encodeIso8859_7(text, 'all.txt');
    expect(platform.decode(bytes)).toBe(text);
    expect(decodeIso8859_7(bytes)).toBe(text);
    expect(encodeIso8859_7('Α', 'a').bytes[0]).toBe(0xc1);
    expect(encodeIso8859_7('ω', 'a').bytes[0]).toBe(0xf9);
  });

  it('drops polytonic diacritics and CR, keeps newlines', () => {
    const { bytes, diacriticsDropped, lines } = encodeIso8859_7('μῆνιν ἄειδε\r\nθεὰ', 't');
    expect(decodeIso8859_7(bytes)).toBe('μηνιν αειδε\nθεα');
    expect(diacriticsDropped).toBe(4); // ῆ: 1, ἄ: 2, ὰ: 1
    expect(lines).toBe(2);
  });

  it('encodes a real Greek text (SBLGNT) byte for byte like the platform decoder reads it back', async () => {
    const { heldOut } = await loadSblgnt();
    const sample = heldOut.slice(0, 2000);
    const { bytes } = encodeIso8859_7(sample, 'sblgnt');
    expect(new TextDecoder('iso-8859-7').decode(bytes)).toBe(sample);
  });
});

describe('text files', () => {
  it('become a [1, 1, n] text record of one byte per character', async () => {
    const file = path.join(tempDir(), 'column1.txt');
    writeFileSync(file, '\ufeffΚΑΙ ΕΙΠΕΝ\n[ΑΥ]ΤΩΙ\n', 'utf8');
    const [item] = await discover(file, { scroll: 'herc' });
    expect(item!.modality).toBe('text');
    expect(item!.name).toBe('column1');
    expect(item!.volume.shape).toEqual([1, 1, 18]);
    const bytes = (await item!.volume.readSlab(0, 1)) as Uint8Array;
    expect(new TextDecoder('iso-8859-7').decode(bytes)).toBe('ΚΑΙ ΕΙΠΕΝ\n[ΑΥ]ΤΩΙ\n');
    expect(item!.extra?.encoding).toBe('ISO-8859-7');
  });

  it('invalid UTF-8 names the file and line', async () => {
    const file = path.join(tempDir(), 'latin1.txt');
    writeFileSync(file, Buffer.concat([Buffer.from('ΑΒΓ\nok\n', 'utf8'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])]));
    await expectUserError(discover(file, { as: 'text' }), /latin1\.txt: line 3 is not valid UTF-8/);
  });

  it('letters outside Greek/Latin name the file, line, column and character', async () => {
    const file = path.join(tempDir(), 'mixed.txt');
    writeFileSync(file, 'ΑΒΓ\nΔΕ Жук\n', 'utf8');
    await expectUserError(
      discover(file, { as: 'text' }),
      /mixed\.txt: line 2, column 4: character 'Ж' \(U\+0416\) is a letter outside Greek\/Latin/,
    );
    writeFileSync(file, 'ΑΒΓ → ΔΕ\n', 'utf8');
    await expectUserError(
      discover(file, { as: 'text' }),
      /mixed\.txt: line 1, column 5: character '→' \(U\+2192\) has no ISO-8859-7 byte/,
    );
  });
});
