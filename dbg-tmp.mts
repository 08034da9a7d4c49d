import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { Corpus } from './src/corpus/index.js';
import { loadCorpusSegment, predictReadout, readoutFromJson } from './src/ink/index.js';
import { readSegment } from './src/lm-conditioning/reading/reader.js';
import { labelledKnowledge, readTruthText } from './src/workflows/read-step.js';
import { loadKneserNey } from './src/lm-conditioning/models.js';
const seed = Number(process.argv[2] ?? 1);
const out = `/tmp/gendev/dev-s${seed}`;
const corpus = await Corpus.open(path.join(out, 'corpus'));
const group = corpus.manifest.records.find((r) => r.group)!.group!;
const seg = (await loadCorpusSegment(corpus, group)).segment;
const readout = readoutFromJson(JSON.parse(await readFile(path.join(out, 'readout-150x1.json'), 'utf8')));
let t = performance.now();
const prob = await predictReadout(readout, seg);
console.log('predict', ((performance.now() - t) / 1000).toFixed(1));
const lm = await loadKneserNey();
const truth = await readTruthText(path.join(out, 'truth'));
const meta = JSON.parse(await readFile(path.join(out, 'truth/meta.json'), 'utf8'));
const known = labelledKnowledge(seg, truth, meta.labelledXMax)!;
for (const [mode, beam] of [['off', 200], ['decode', 200]] as const) {
  t = performance.now();
  const r = readSegment({ segment: group, ink: { width: seg.width, height: seg.height, data: prob }, labels: known.labels, labelledRegion: known.region, transcription: known.transcription, mode, lm, beam, align: process.env.ALIGN as any });
  console.log(mode, beam, ((performance.now() - t) / 1000).toFixed(1), 's', 'alpha', r.glyphs.alpha.toFixed(3), 'cal', r.glyphs.confidenceAlpha, r.alignment?.tried);
}
