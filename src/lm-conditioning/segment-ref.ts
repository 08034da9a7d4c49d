/**
 * Finding a segment in a corpus from what the user typed: its group ('scroll1/seg1'), any of its records'
 * names ('scroll1/seg1/layers'), or just the segment id ('seg1') when that is unique.
 *
 *   const seg = resolveSegment(corpus, 'seg1');   // { group: 'scroll1/seg1', records: [...], ink?, labels?, mask? }
 */
import type { Corpus } from '../corpus/index.js';
import type { RecordMeta } from '../corpus/index.js';
import { UserError } from '../core/errors.js';

export interface SegmentRecords {
  group: string;
  records: RecordMeta[];
  layers?: RecordMeta;
  /** The newest 'ink' prediction of the segment, if any. */
  ink?: RecordMeta;
  labels?: RecordMeta;
  mask?: RecordMeta;
  text?: RecordMeta;
}

export function resolveSegment(corpus: Corpus, ref: string): SegmentRecords {
  const all = corpus.records();
  const groups = [...new Set(all.map((r) => r.group).filter((g): g is string => typeof g === 'string'))];
  let group = groups.find((g) => g === ref) ?? all.find((r) => r.name === ref)?.group;
  if (!group) {
    const bySuffix = groups.filter((g) => g.split('/').pop() === ref);
    if (bySuffix.length > 1)
      throw new UserError(`segment '${ref}' is ambiguous in ${corpus.dir}: ${bySuffix.join(', ')}`);
    group = bySuffix[0];
  }
  if (!group)
    throw new UserError(`no segment '${ref}' in corpus ${corpus.dir} (segments: ${groups.join(', ') || 'none'})`);
  const records = all.filter((r) => r.group === group);
  const pick = (m: string) => records.filter((r) => r.modality === m).pop();
  const inks = records.filter((r) => r.modality === 'prediction' && r.prediction?.kind === 'ink');
  return {
    group,
    records,
    layers: pick('segment-layers'),
    ink: inks.pop(),
    labels: pick('ink-labels'),
    mask: pick('mask'),
    text: pick('text'),
  };
}
