/**
 * The generalization bench's last full run on the test family (bench/generalization.bench.ts), kept in the
 * repository at bench/results/generalization.json so that the demo can report it beside its own scroll's numbers,
 * with the date it was measured. Only a full run on test scrolls writes it (never `--quick`, never dev scrolls).
 *
 *   await saveGeneralization(file, { date, family: 'test', seeds, settings, summary });
 *   const last = await loadGeneralization(file);   // undefined when missing or unreadable
 *   headlineRows(last)                             // [['ink F0.5, own scroll (test, n=20)', '0.55 ± 0.12 (min 0.29)'], …]
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Stat {
  mean: number;
  sd: number;
  min: number;
  n: number;
}

export interface GeneralizationResults {
  date: string;
  family: string;
  seeds: number[];
  settings: Record<string, number | string>;
  /** `${condition} · ${metric}` → stats over scrolls; condition is acts, lexicon or all. */
  summary: Record<string, Stat>;
}

/** bench/results/generalization.json in this checkout. */
export const GENERALIZATION_FILE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'bench',
  'results',
  'generalization.json',
);

export async function saveGeneralization(file: string, r: GeneralizationResults): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(r, null, 1) + '\n');
  await rename(tmp, file);
}

export async function loadGeneralization(file = GENERALIZATION_FILE): Promise<GeneralizationResults | undefined> {
  try {
    const r = JSON.parse(await readFile(file, 'utf8')) as GeneralizationResults;
    return r && typeof r.summary === 'object' && typeof r.date === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

/** The metrics the demo shows, in order: [label, key]. */
const HEADLINE: [string, string][] = [
  ['ink F0.5 at the tool threshold, own scroll unlabelled part', 'all · ink F0.5 (own, tool threshold)'],
  ['ink F0.5 gap to the oracle threshold, own scroll', 'all · ink F0.5 gap to oracle (own)'],
  ['ink F0.5 cross-scroll (partner readout)', 'all · ink F0.5 (cross, tool threshold)'],
  ['ink calibration, largest gap per decile, own', 'all · ink calibration max gap per decile (own)'],
  ['layout right (columns and lines IoU >= 0.8), own', 'all · layout right (own)'],
  ['CER LM off, in-domain (Acts), own', 'acts · CER LM off (own)'],
  ['CER decoded, in-domain (Acts), own', 'acts · CER decode (own)'],
  ['CER LM off, out-of-domain (lexicon), own', 'lexicon · CER LM off (own)'],
  ['CER decoded, out-of-domain (lexicon), own', 'lexicon · CER decode (own)'],
  ['CER decoded, cross-scroll', 'all · CER decode (cross)'],
  ['plain (no underdot) letters right, own', 'all · plain letters right (own)'],
  ['letters marked uncertain, supplied or lost, own', 'all · letters marked uncertain or lost (own)'],
];

export function headlineRows(r: GeneralizationResults): string[][] {
  return HEADLINE.flatMap(([label, key]) => {
    const s = r.summary[key];
    if (!s) return [];
    return [[label, `${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)} (min ${s.min.toFixed(3)}, n=${s.n})`]];
  });
}
