import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { Corpus } from './src/corpus/index.js';
import { loadCorpusSegment, readGrayImage } from './src/ink/index.js';
import { readSegment } from './src/lm-conditioning/reading/reader.js';
import { labelledKnowledge, readTruthText } from './src/workflows/read-step.js';
import { scoreTable, lineBand } from './src/lm-conditioning/reading/glyphs.js';
import { normalizeInk } from './src/lm-conditioning/reading/normalize.js';
const seed = Number(process.argv[2] ?? 1);
const out = `/tmp/gendev/dev-s${seed}`;
const corpus = await Corpus.open(path.join(out, 'corpus'));
const group = corpus.manifest.records.find((r) => r.group)!.group!;
const seg = (await loadCorpusSegment(corpus, group)).segment;
const t = await readGrayImage(path.join(out, 'truth', 'inklabels.png'), seg);
const prob = Float32Array.from(t, (v) => v / 255);
const truth = await readTruthText(path.join(out, 'truth'));
const meta = JSON.parse(await readFile(path.join(out, 'truth/meta.json'), 'utf8'));
const letters = JSON.parse(await readFile(path.join(out, 'truth/letters.json'), 'utf8'));
const known = labelledKnowledge(seg, truth, meta.labelledXMax)!;
const ink = { width: seg.width, height: seg.height, data: prob };
const r = readSegment({ segment: group, ink, labels: known.labels, labelledRegion: known.region, transcription: known.transcription, mode: 'off', beam: 200 });
const line = r.reading.columns[0]!.lines[0]!;
console.log('read ', line.letters.map((l) => `${l.char}@${l.bbox?.[0]}`).join(' '));
console.log('truth', letters.filter((l: any) => l.column === 0 && l.line === 0).map((l: any) => `${l.char}@${l.box[0]}-${l.box[2]}`).join(' '));
console.log('widths', r.glyphs.templates.map((x, i) => 'ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ'[i] + x.width).join(' '), 'r', r.glyphs.r, 'pen', r.glyphs.letterPenalty, 'alpha', r.glyphs.alpha);
// scores at the truth positions: for truth letter E at its x, which letter scores best?
const norm = normalizeInk(ink);
const L = r.columns[0]!.lines[0]!;
const band = { ...lineBand(L, r.pitch), r: r.glyphs.r };
const ext = { ...band, xs: band.xs - 2, xe: band.xe + 2 };
const table = scoreTable(r.glyphs, norm, { ...ext, xe: ext.xe + 14 });
for (const l of letters.filter((l: any) => l.column === 0 && l.line === 0)) {
  let best: [number, number, number] = [-Infinity, -1, 0];
  const c0 = 'ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ'.indexOf(l.char);
  const w = r.glyphs.templates[c0]!.width;
  // template x that centres on the truth box
  const cx = Math.round((l.box[0] + l.box[2]) / 2 - w / 2) - ext.xs;
  for (let dx = -2; dx <= 2; dx++) for (let c = 0; c < 24; c++) { const v = r.glyphs.alpha * table[c]![cx + dx]!; if (v > best[0]) best = [v, c, dx]; }
  const own = Math.max(...[-2,-1,0,1,2].map((dx) => r.glyphs.alpha * table[c0]![cx + dx]!));
  console.log(l.char, 'best', 'ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ'[best[1]], best[0].toFixed(1), 'own', own.toFixed(1));
}
