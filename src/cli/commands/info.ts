/**
 * `aunn info --corpus DIR [--json]`: the records of a corpus as a table (id, name, modality, shape, dtype, voxel
 * size, energy, window, address range in hex; predictions marked with *), or the manifest as JSON.
 *
 *   aunn info --corpus ./corpus
 */
import { Corpus } from '../../corpus/index.js';
import { recordRange } from '../../corpus/index.js';
import type { RecordMeta } from '../../corpus/index.js';
import { parseArgs } from '../args.js';

export async function run(argv: string[]): Promise<void> {
  const cmd = parseArgs(argv, 'aunn info', (c) =>
    c
      .description('list the records of a corpus')
      .requiredOption('--corpus <dir>', 'corpus folder')
      .option('--json', 'print the manifest as JSON'),
  );
  if (!cmd) return;
  const o = cmd.opts<{ corpus: string; json?: boolean }>();
  const corpus = await Corpus.open(o.corpus);
  const m = corpus.manifest;
  if (o.json) {
    console.log(JSON.stringify(m, null, 1));
    return;
  }
  const used = m.next;
  const size = 2 ** m.addressBits;
  console.log(
    `corpus ${corpus.dir}: ${m.records.length} record(s), ${m.addressBits} address bits, ` +
      `${hex(used)} of ${hex(size)} used (${((100 * used) / size).toFixed(3)}%)`,
  );
  if (m.records.length) console.log(formatRecordTable(m.records));
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

const fmtNum = (n: number) => (Number.isInteger(n) ? String(n) : n.toPrecision(4));

/** What ingest and render print for the records they added: each one's warnings on stderr, then the table or JSON. */
export function printNewRecords(records: RecordMeta[], json?: boolean): void {
  for (const rec of records) {
    const warnings = (rec.extra?.warnings as string[] | undefined) ?? [];
    for (const w of warnings) console.error(`warning: ${rec.name}: ${w}`);
  }
  if (json) console.log(JSON.stringify(records, null, 1));
  else console.log(formatRecordTable(records));
}

/** Plain-text table of records; predictions are marked `*` with a footnote. */
export function formatRecordTable(records: RecordMeta[]): string {
  const header = [
    'id',
    'name',
    'modality',
    'shape z×y×x',
    'dtype',
    'voxel µm',
    'keV',
    'window',
    'levels',
    'addresses (hex)',
  ];
  const rows = records.map((r) => {
    const [start, end] = recordRange(r);
    const voxel = r.voxelSizeUm
      ? r.voxelSizeUm.every((v) => v === r.voxelSizeUm![0])
        ? fmtNum(r.voxelSizeUm[0])
        : r.voxelSizeUm.map(fmtNum).join('×')
      : '-';
    const modality = r.prediction ? `*${r.modality}:${r.prediction.kind}` : r.modality;
    return [
      String(r.id),
      r.name,
      modality,
      r.shape.join('×'),
      r.dtype,
      voxel,
      r.energyKeV !== undefined ? fmtNum(r.energyKeV) : '-',
      r.window ? r.window.map(fmtNum).join('..') : '-',
      String(r.levels),
      `${hex(start)}-${hex(end - 1)}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  if (records.some((r) => r.prediction)) out.push('* prediction (derived by a model; not training data)');
  return out.join('\n');
}
