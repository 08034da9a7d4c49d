import { describe, expect, it } from 'vitest';
import { loadTrainSet, Sampler } from '../../src/model/data.js';
import type { Manifest, RecordMeta } from '../../src/corpus/types.js';
import { coordsOf } from '../../src/corpus/address.js';

function inkLabels(extra: Record<string, unknown>): RecordMeta {
  return {
    id: 0,
    name: 's/seg/inklabels',
    scroll: 's',
    modality: 'ink-labels',
    shape: [1, 16, 30],
    bits: [0, 4, 5],
    base: 0,
    dtype: 'uint8',
    source: { path: '/x.png', sha256: '0', format: 'png' },
    array: 'records/0',
    levels: 1,
    trainable: true,
    extra,
  };
}

async function sampledColumns(rec: RecordMeta): Promise<Int32Array> {
  const manifest: Manifest = { format: 'scroll-aunn-corpus', version: 1, addressBits: 40, next: 512, records: [rec] };
  const corpus = { manifest, readRecord: async () => new Uint8Array(16 * 30).fill(7) };
  const set = await loadTrainSet(corpus, [rec]);
  const sampler = new Sampler(set, 0.05);
  const n = 2000;
  const addresses = new Float64Array(n);
  const labels = new Uint8Array(n);
  let seed = 1;
  const rng = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  sampler.minibatch(addresses, labels, 0, n, rng);
  const zyx = coordsOf(rec, addresses);
  const xs = new Int32Array(n);
  for (let i = 0; i < n; i++) xs[i] = zyx[3 * i + 2]!;
  return xs;
}

describe('ink labels with a labelled region', () => {
  it('trains only inside the labelled region, never on the unknown zeros beside it', async () => {
    const xs = await sampledColumns(inkLabels({ labelledRegion: [0, 0, 10, 16] }));
    expect(Math.max(...xs)).toBeLessThan(10);
  });

  it('trains everywhere when the whole segment is labelled', async () => {
    const xs = await sampledColumns(inkLabels({}));
    expect(Math.max(...xs)).toBeGreaterThanOrEqual(20);
  });
});
